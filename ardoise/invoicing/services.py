"""Invoicing operations: drafts, issuing, numbering. Each runs in one transaction."""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import changes, record, snapshot
from ardoise.core import payment_terms
from ardoise.core.document import InvoiceDocument
from ardoise.core.formats import format_amount
from ardoise.core.numbering import counter_period, format_number
from ardoise.core.payment_terms import PaymentTerm
from ardoise.core.vat import category_for
from ardoise.customers.models import Customer
from ardoise.integrity.services import append_invoice
from ardoise.invoicing import sources
from ardoise.invoicing.documents import build_document, draft_totals
from ardoise.invoicing.exceptions import InvoicingError, IssuedInvoiceError
from ardoise.invoicing.locking import issuing_turn
from ardoise.invoicing.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IssuedFile,
    NumberingSeries,
    SeriesCounter,
    SeriesKind,
)
from ardoise.invoicing.vat_situations import exemption_wording, line_vat_default, vat_problems

logger = logging.getLogger(__name__)

DEFAULT_PATTERN = "F-{YYYY}-{NNNN}"


def default_series(organisation: Organisation) -> NumberingSeries:
    series = NumberingSeries.objects.filter(organisation=organisation, is_default=True, kind=SeriesKind.INVOICE).first()
    if series is not None:
        return series
    try:
        with transaction.atomic():
            return NumberingSeries.objects.create(
                organisation=organisation, name=_("Factures"), pattern=DEFAULT_PATTERN, is_default=True
            )
    except IntegrityError:
        # Another request created it first.
        return NumberingSeries.objects.get(organisation=organisation, is_default=True)


def normalise_line_vat(line: InvoiceLine, organisation: Organisation, customer: Customer | None = None) -> None:
    """Derive the VAT category from the rate and exemption; franchise en base forces exemption.

    A line left at 0 % without a reason gets the default exemption of the
    organisation's and the customer's situations, else the generic art. 261.
    """
    if organisation.is_franchise:
        if line.exemption != "franchise":
            line.exemption_text = ""
        line.vat_rate = line.vat_rate.__class__("0.00")
        line.exemption = "franchise"
    if line.vat_rate > 0:
        line.exemption = ""
        line.exemption_text = ""
    elif not line.exemption and not line.exemption_text:
        default = line_vat_default(organisation, customer, is_service=line.is_service)
        line.exemption = default.exemption or "article_261"
    line.vat_category = category_for(line.vat_rate, line.exemption)
    if line.exemption and not line.exemption_text:
        line.exemption_text = exemption_wording(line, organisation, customer)


def refresh_totals(invoice: Invoice) -> None:
    """Store the draft's totals, computed by the money module from its lines."""
    if not invoice.is_draft:
        raise IssuedInvoiceError(invoice)
    totals = draft_totals(invoice)
    invoice.total_without_vat = totals.tax_exclusive
    invoice.total_vat = totals.tax_total
    invoice.total_with_vat = totals.tax_inclusive
    invoice.amount_due = totals.due
    invoice.save(update_fields=["total_without_vat", "total_vat", "total_with_vat", "amount_due", "updated_at"])


def save_draft(
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    removed_lines: Iterable[InvoiceLine] = (),
    *,
    user: Any = None,
    request: Any = None,
) -> Invoice:
    """Save a draft with its lines in display order, normalise their VAT and store the totals.

    ``removed_lines`` are saved lines the user deleted. The draft row is locked
    first, so that an edit racing with ``issue_invoice`` fails cleanly with
    ``IssuedInvoiceError`` instead of hitting the database triggers.
    """
    created = invoice.pk is None
    with transaction.atomic():
        before = {}
        if not created:
            _lock_draft(invoice)
            before = _draft_state(Invoice.objects.get(pk=invoice.pk))
        invoice.save()

        for line in removed_lines:
            line.delete()
        for position, line in enumerate(lines, start=1):
            line.invoice = invoice
            line.position = position
            normalise_line_vat(line, invoice.organisation, invoice.customer)
            line.save()
        refresh_totals(invoice)

        action = "invoice.draft_created" if created else "invoice.draft_updated"
        data: dict[str, Any] = {"lines": len(lines), "amount_due": str(invoice.amount_due)}
        if not created:
            data["changes"] = changes(before, _draft_state(invoice))
        record(invoice.organisation, action, invoice, user=user, request=request, data=data)
    return invoice


# The draft fields whose changes the audit log records, besides the lines and the amount due.
AUDITED_DRAFT_FIELDS = (
    "customer",
    "series",
    "currency",
    "delivery_date",
    "payment_terms_days",
    "purchase_order",
    "buyer_reference",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "notes",
)


def _draft_state(invoice: Invoice) -> dict[str, Any]:
    state = snapshot(invoice, AUDITED_DRAFT_FIELDS)
    state["lines"] = [
        "%s × %s (TVA %s %%) %s" % (line.quantity, line.unit_price, line.vat_rate, line.name)
        for line in invoice.lines.order_by("position", "id")
    ]
    state["amount_due"] = str(invoice.amount_due)
    return state


def _lock_draft(invoice: Invoice) -> None:
    current = Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("status", "number").first()
    if current is None:
        raise InvoicingError(_("Ce brouillon a été supprimé entre-temps : créez une nouvelle facture."))
    status, number = current
    if status != InvoiceStatus.DRAFT:
        invoice.number = number
        raise IssuedInvoiceError(invoice)


def delete_draft(invoice: Invoice, *, user: Any = None, request: Any = None) -> None:
    if not invoice.is_draft:
        raise IssuedInvoiceError(invoice)
    with transaction.atomic():
        _lock_draft(invoice)
        record(invoice.organisation, "invoice.draft_deleted", invoice, user=user, request=request)
        invoice.lines.all().delete()
        invoice.delete()


def check_ready_to_issue(invoice: Invoice, issue_date: datetime.date | None = None) -> None:
    """Raise ``InvoicingError`` listing what must be fixed before the invoice can be issued on ``issue_date``."""
    from ardoise.invoicing.series import is_dedicated_to_credit_notes

    problems: list[str] = []
    series = invoice.series
    if series is not None and not invoice.is_credit_note and is_dedicated_to_credit_notes(series):
        problems.append(
            _(
                "La séquence « %(name)s » est réservée aux avoirs : choisissez une séquence de factures "
                "dans le brouillon."
            )
            % {"name": series.name}
        )
    if series is not None and series.kind != SeriesKind.INVOICE:
        problems.append(
            _("La séquence « %(name)s » numérote des %(kind)s : choisissez une séquence de factures dans le brouillon.")
            % {"name": series.name, "kind": series.get_kind_display().lower()}
        )
    missing = invoice.organisation.missing_for_issue()
    if missing:
        problems.append(
            _("Complétez le profil de l'entreprise (menu Entreprise) : %(fields)s.") % {"fields": ", ".join(missing)}
        )
    customer = invoice.customer
    if not (customer.address_line1 and customer.city and customer.postcode):
        problems.append(_("Complétez l'adresse de facturation du client « %(name)s ».") % {"name": customer.name})
    if not (customer.siren or customer.email):
        # The e-invoice must give the buyer's electronic address (BR-FR-13): a SIREN or an e-mail.
        problems.append(
            _("Indiquez le SIREN ou l'adresse e-mail du client « %(name)s » : la facture électronique l'exige.")
            % {"name": customer.name}
        )
    if invoice.currency != "EUR" and invoice.exchange_rate is None:
        # French rules: the VAT of an invoice in another currency is also given in euros (BT-111).
        problems.append(
            _(
                "Indiquez le taux de change de la facture (champ « Taux de change », 1 %(currency)s = x EUR) : "
                "la TVA d'une facture en %(currency)s doit aussi figurer en euros."
            )
            % {"currency": invoice.currency}
        )
    lines = list(invoice.lines.all())
    if not lines:
        problems.append(_("Ajoutez au moins une ligne à la facture."))
    problems.extend(vat_problems(invoice, lines))
    if not invoice.is_credit_note:
        problems.extend(payment_term_problems(invoice, issue_date or timezone.localdate()))
    if invoice.amount_due < 0:
        problems.append(
            _("Le total de la facture est négatif (%(amount)s) : pour rembourser un client, établissez un avoir.")
            % {"amount": format_amount(invoice.amount_due, invoice.currency)}
        )
    if invoice.is_credit_note:
        from ardoise.invoicing.credit_notes import check_ready_to_issue as credit_note_problems

        problems.extend(credit_note_problems(invoice))
    else:
        problems.extend(_recurring_problems(invoice))
    problems.extend(sources.issue_problems(invoice))
    if problems:
        raise InvoicingError(_("La facture ne peut pas encore être émise."), details=problems)


def _recurring_problems(invoice: Invoice) -> list[str]:
    """Return why a draft generated by a recurring plan must wait, e.g. the index value of its revision is missing."""
    from ardoise.recurring.models import RecurringOccurrence

    waiting = (
        RecurringOccurrence.objects.filter(invoice_id=invoice.pk)
        .exclude(revision_problem="")
        .values_list("revision_problem", flat=True)
    )
    return list(waiting)


def take_number(series: NumberingSeries, issue_date: datetime.date) -> str:
    """Take the next number of any series (invoices, quotes); the caller's transaction must hold the lock.

    The counter rolls back with the caller's transaction, so a failed issue never consumes a number.
    """
    period = counter_period(series.reset, issue_date)
    SeriesCounter.objects.bulk_create(
        [SeriesCounter(series=series, period=period, last_value=0)], ignore_conflicts=True
    )
    counter = SeriesCounter.objects.select_for_update().get(series=series, period=period)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return format_number(series.pattern, issue_date, counter.last_value)


def next_number(series: NumberingSeries, issue_date: datetime.date) -> str:
    """Take the next invoice number of the series; the caller's transaction must hold the lock."""
    number = take_number(series, issue_date)
    # Series created before prefixes had to differ may still overlap; refuse rather than fail on the unique index.
    if Invoice.objects.filter(organisation_id=series.organisation_id, number=number).exists():
        raise InvoicingError(
            _(
                "Le numéro %(number)s de la séquence « %(series)s » est déjà pris par une autre facture. "
                "Donnez à cette séquence un préfixe qui lui est propre (menu Entreprise, Séquences de numérotation)."
            )
            % {"number": number, "series": series.name}
        )
    return number


# Typst renders the PDF in this pool while the calling thread validates the XML:
# both release the GIL, so issuing takes about the longer of the two, not the sum.
_pdf_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ardoise-pdf")


def render_issued_files(document: InvoiceDocument, logo: bytes | None, logo_type: str) -> tuple[bytes, bytes]:
    """Validate the XML while the PDF renders, then embed the XML into the PDF."""
    from ardoise.einvoice.cii import build_cii_xml
    from ardoise.einvoice.validation import french_rules_apply, validate_cii
    from ardoise.pdf.facturx import embed_facturx
    from ardoise.pdf.render import render_invoice_pdf

    xml = build_cii_xml(document)
    rendering = _pdf_pool.submit(
        render_invoice_pdf, document, logo=logo, logo_format=logo_type or None, payment_qr=True
    )
    report = validate_cii(xml, french_rules=french_rules_apply(document))
    pdf = rendering.result()
    if not report.ok:
        raise InvoicingError(
            _("La facture ne respecte pas les règles de la facture électronique (EN 16931, règles françaises)."),
            details=report.messages(),
        )
    return embed_facturx(pdf, xml, document), xml


def resolve_payment_term(invoice: Invoice) -> PaymentTerm:
    """Return the payment term: the invoice's, else the customer's, else the organisation's.

    Raise ``InvoicingError`` when the chosen rule is incomplete (an installment
    schedule that no longer parses, a fixed date left empty).
    """
    try:
        for term in (invoice.own_payment_term(), invoice.customer.payment_term()):
            if term is not None:
                return term
        return invoice.organisation.payment_term()
    except payment_terms.PaymentTermError as error:
        raise InvoicingError(
            _("Les conditions de paiement sont incomplètes : %(error)s") % {"error": error.message}
        ) from None


def planned_dates(invoice: Invoice, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """Return the issue date and due date the draft would get if issued ``today``."""
    issue_date = today or timezone.localdate()
    return issue_date, payment_terms.final_due_date(resolve_payment_term(invoice), issue_date)


def payment_term_problems(invoice: Invoice, issue_date: datetime.date) -> list[str]:
    """Return why the invoice's payment term cannot apply to an issue on ``issue_date`` (the legal maximum)."""
    try:
        payment_terms.check_legal_maximum(resolve_payment_term(invoice), issue_date)
    except payment_terms.PaymentTermError as error:
        return [error.message]
    except InvoicingError as error:
        return [str(error.message)]
    return []


def preview_document(invoice: Invoice, today: datetime.date | None = None) -> InvoiceDocument:
    """Build the document a draft would become if issued today, numbered « BROUILLON »."""
    if not invoice.is_draft:
        raise IssuedInvoiceError(invoice)
    issue_date = today or timezone.localdate()
    return build_document(
        invoice, number=_("BROUILLON"), issue_date=issue_date, payment_term=resolve_payment_term(invoice)
    )


def issue_invoice(
    invoice: Invoice, *, user: Any = None, request: Any = None, today: datetime.date | None = None
) -> Invoice:
    """Issue a draft: number, dates, snapshot, validated Factur-X PDF, link in the hash chain.

    Everything happens in one transaction, so a failure (validation, rendering)
    rolls the counter back and never consumes a number.
    """
    from ardoise.invoicing.credit_notes import derive_amounts, series_for

    if not invoice.is_draft:
        raise IssuedInvoiceError(invoice)
    organisation = invoice.organisation

    with issuing_turn(), transaction.atomic():
        # Serialise issuing per organisation: numbers and the hash chain follow the order of issue.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        invoice = Invoice.objects.select_for_update().select_related("organisation", "customer").get(pk=invoice.pk)
        if not invoice.is_draft:
            raise IssuedInvoiceError(invoice)
        if invoice.is_credit_note:
            # Credit notes issued since this draft was saved change what is left to credit.
            derive_amounts(invoice)
        refresh_totals(invoice)
        issue_date = today or timezone.localdate()
        check_ready_to_issue(invoice, issue_date)

        series = invoice.series or series_for(invoice)
        number = next_number(series, issue_date)
        term = resolve_payment_term(invoice)
        due_date = payment_terms.final_due_date(term, issue_date)

        document = build_document(invoice, number=number, issue_date=issue_date, payment_term=term)
        pdf, xml = render_issued_files(
            document, bytes(organisation.logo) if organisation.logo else None, organisation.logo_content_type
        )

        totals = document.totals()
        document_json = document.to_json()

        invoice.series = series
        invoice.number = number
        invoice.issue_date = issue_date
        invoice.due_date = due_date
        # The rule is stored on the issued row, so a later change of the customer's or the
        # organisation's default never changes this invoice's due dates.
        invoice.payment_terms_kind = term.kind.value
        invoice.payment_terms_days = term.days
        invoice.payment_terms_fixed_date = term.fixed_date
        invoice.payment_installments = payment_terms.format_installments(term.installments)
        invoice.late_penalty_rate = organisation.late_penalty_rate
        invoice.payment_schedule = [
            {"due_date": part.due_date.isoformat(), "amount": str(part.amount)}
            for part in payment_terms.schedule(term, issue_date, totals.due, invoice.places)
        ]
        invoice.total_without_vat = totals.tax_exclusive
        invoice.total_vat = totals.tax_total
        invoice.total_with_vat = totals.tax_inclusive
        invoice.amount_due = totals.due
        invoice.document = document_json
        invoice.issued_at = timezone.now()
        invoice.issued_by = user if user is not None and getattr(user, "pk", None) else None
        # previous_hash and chain_hash stay empty. Only invoices issued before the
        # chain table of ardoise.integrity existed have them.
        invoice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        invoice.status = InvoiceStatus.ISSUED
        invoice.save()
        files = IssuedFile.objects.create(invoice=invoice, pdf=pdf, xml=xml)
        append_invoice(invoice, files)
        record(
            organisation,
            "credit_note.issued" if invoice.is_credit_note else "invoice.issued",
            invoice,
            user=user,
            request=request,
            data={"number": number, "amount_due": str(totals.due)},
        )
        sources.invoice_issued(invoice, user=user, request=request)

    logger.info("invoice issued organisation=%s invoice=%s number=%s", organisation.pk, invoice.pk, number)
    return invoice
