"""E-mail templates that organisations edit: the kinds of e-mail, their placeholders and their values.

Each kind of e-mail (invoice, credit note, customer statement) allows its
own placeholders (``ardoise.mailing.placeholders``). An organisation that has
not written its own template for a kind gets Ardoise's default message, which
adapts its wording to the document (an invoice already paid is thanked, not
asked for payment). A written template is the same text for every document.

Another app adds a kind with ``register_kind``: the ``EmailTemplate.kind``
column is free text, so no migration is needed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_amount, format_date
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.invoicing.presentation import invoice_filename, issued_document
from ardoise.mailing import placeholders
from ardoise.mailing.models import EmailTemplate
from ardoise.mailing.placeholders import Placeholder

# Characters a file name may not contain on common systems, and control characters.
_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


@dataclass(frozen=True)
class TemplateKind:
    """A kind of e-mail users can word themselves, with its placeholders and default wording.

    ``sample_values(organisation)`` gives the values of a made-up document,
    for the preview before any document exists. ``documents(organisation)``
    lists real documents to preview on, as (id, label) pairs, and
    ``document_values(organisation, id)`` gives the values of one of them, or
    None when the id is not one of the organisation's documents.
    """

    name: str
    label: str | Promise
    description: str | Promise
    placeholders: tuple[Placeholder, ...]
    default_subject: str | Promise
    default_body: str | Promise
    default_attachment_name: str | Promise
    sample_values: Callable[[Any], dict[str, str]]
    documents: Callable[[Any], list[tuple[str, str]]]
    document_values: Callable[[Any, str], dict[str, str] | None]


@dataclass(frozen=True)
class Composed:
    """An e-mail ready to send: subject, body and the attachment's file name."""

    subject: str
    body: str
    attachment_name: str


KINDS: dict[str, TemplateKind] = {}

# An e-mail's text keeps {lien} until it is sent: the portal link is created at send time, not when
# the send form is shown, and the sender may delete the sentence that contains it.
PORTAL_LINK_MARKER = placeholders.PORTAL_LINK.tag


def register_kind(kind: TemplateKind) -> TemplateKind:
    KINDS[kind.name] = kind
    return kind


def _sample_invoice_values(organisation: Any) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "client": "Boulangerie Martin SAS",
        "organisation": organisation.name,
        "numero": "F-%s-0042" % today.year,
        "date": format_date(today),
        "montant": format_amount(Decimal("1234.56"), "EUR"),
        "reste_a_payer": format_amount(Decimal("734.56"), "EUR"),
        "echeance": format_date(today + datetime.timedelta(days=30)),
        "facture": "F-%s-0041" % today.year,
        "lien": settings.BASE_URL + "/portail/exemple/",
    }


def _sample_statement_values(organisation: Any) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "client": "Boulangerie Martin SAS",
        "organisation": organisation.name,
        "debut": format_date(today.replace(day=1)),
        "fin": format_date(today),
        "solde": format_amount(Decimal("734.56"), "EUR"),
    }


# The real documents offered for the preview: the latest ones are enough to check a wording.
PREVIEW_DOCUMENTS = 20


def _issued(organisation: Any, credit_notes: bool) -> Any:
    invoices = Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.ISSUED)
    if credit_notes:
        invoices = invoices.filter(type_code=DocumentType.CREDIT_NOTE)
    else:
        invoices = invoices.exclude(type_code=DocumentType.CREDIT_NOTE)
    return invoices.select_related("customer", "organisation", "credited_invoice").order_by("-issue_date", "-id")


def _invoice_documents(credit_notes: bool) -> Callable[[Any], list[tuple[str, str]]]:
    def documents(organisation: Any) -> list[tuple[str, str]]:
        latest = _issued(organisation, credit_notes)[:PREVIEW_DOCUMENTS]
        return [(str(invoice.pk), "%s – %s" % (invoice.number, invoice.customer.name)) for invoice in latest]

    return documents


def _invoice_document_values(credit_notes: bool) -> Callable[[Any, str], dict[str, str] | None]:
    def document_values(organisation: Any, document_id: str) -> dict[str, str] | None:
        invoice = _issued(organisation, credit_notes).filter(pk=int(document_id)).first()
        return invoice_values(invoice) if invoice is not None else None

    return document_values


def _customer_documents(organisation: Any) -> list[tuple[str, str]]:
    from ardoise.customers.models import Customer

    customers = Customer.objects.filter(organisation=organisation).order_by("name", "id")[:PREVIEW_DOCUMENTS]
    return [(str(customer.pk), customer.name) for customer in customers]


def _statement_document_values(organisation: Any, customer_id: str) -> dict[str, str] | None:
    """Return the values of the customer's statement over its default period (this month), as the preview's example."""
    from ardoise.customers.models import Customer
    from ardoise.reports.queries import default_statement_period, statement

    customer = Customer.objects.filter(organisation=organisation, pk=int(customer_id)).first()
    if customer is None:
        return None
    return statement_values(
        organisation, statement(organisation, customer, default_statement_period(timezone.localdate()))
    )


INVOICE = register_kind(
    TemplateKind(
        name="invoice",
        label=gettext_lazy("Facture"),
        description=gettext_lazy("Envoi d'une facture émise, à la main ou automatiquement à l'émission."),
        placeholders=(
            placeholders.CUSTOMER,
            placeholders.NUMBER,
            placeholders.DATE,
            placeholders.AMOUNT,
            placeholders.BALANCE,
            placeholders.DUE_DATE,
            placeholders.PORTAL_LINK,
            placeholders.ORGANISATION,
        ),
        default_subject=gettext_lazy("Facture {numero} – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour,\n\n"
            "Veuillez trouver ci-joint notre facture {numero} du {date}, d'un montant de {montant} TTC, "
            "à régler au plus tard le {echeance}.\n\n"
            "Vous pouvez aussi la consulter, la télécharger et voir comment la régler en ligne : {lien}\n\n"
            "Nous restons à votre disposition pour toute question.\n\n"
            "Cordialement,\n{organisation}"
        ),
        default_attachment_name=gettext_lazy("Facture-{numero}.pdf"),
        sample_values=_sample_invoice_values,
        documents=_invoice_documents(credit_notes=False),
        document_values=_invoice_document_values(credit_notes=False),
    )
)

CREDIT_NOTE = register_kind(
    TemplateKind(
        name="credit_note",
        label=gettext_lazy("Avoir"),
        description=gettext_lazy("Envoi d'un avoir émis, à la main ou automatiquement à l'émission."),
        placeholders=(
            placeholders.CUSTOMER,
            placeholders.NUMBER,
            placeholders.DATE,
            placeholders.AMOUNT,
            placeholders.CREDITED_INVOICE,
            placeholders.PORTAL_LINK,
            placeholders.ORGANISATION,
        ),
        default_subject=gettext_lazy("Avoir {numero} – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour,\n\n"
            "Veuillez trouver ci-joint notre avoir {numero} du {date}, d'un montant de {montant} TTC, "
            "qui vient en déduction de la facture {facture}.\n\n"
            "Vous pouvez aussi le consulter et le télécharger en ligne : {lien}\n\n"
            "Nous restons à votre disposition pour toute question.\n\n"
            "Cordialement,\n{organisation}"
        ),
        default_attachment_name=gettext_lazy("Avoir-{numero}.pdf"),
        sample_values=_sample_invoice_values,
        documents=_invoice_documents(credit_notes=True),
        document_values=_invoice_document_values(credit_notes=True),
    )
)

STATEMENT = register_kind(
    TemplateKind(
        name="statement",
        label=gettext_lazy("Relevé de compte"),
        description=gettext_lazy("Envoi du relevé de compte d'un client, depuis la page « Relevé de compte »."),
        placeholders=(
            placeholders.CUSTOMER,
            placeholders.PERIOD_START,
            placeholders.PERIOD_END,
            placeholders.ACCOUNT_BALANCE,
            placeholders.ORGANISATION,
        ),
        default_subject=gettext_lazy("Relevé de compte au {fin} – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour,\n\n"
            "Veuillez trouver ci-joint votre relevé de compte du {debut} au {fin}.\n\n"
            "Au {fin}, le solde de votre compte est de {solde}.\n\n"
            "Nous restons à votre disposition pour toute question.\n\n"
            "Cordialement,\n{organisation}"
        ),
        default_attachment_name=gettext_lazy("Releve-{client}-{fin}.pdf"),
        sample_values=_sample_statement_values,
        documents=_customer_documents,
        document_values=_statement_document_values,
    )
)


def template_for(organisation: Any, kind: TemplateKind) -> EmailTemplate | None:
    """Return the organisation's own template of ``kind``, or None when it uses the default message."""
    return EmailTemplate.objects.filter(organisation=organisation, kind=kind.name).first()


def validate_template(kind: TemplateKind, subject: str, body: str, attachment_name: str) -> dict[str, ValidationError]:
    """Check the three texts of a template; return the error of each faulty one, by field name."""
    errors: dict[str, ValidationError] = {}
    for field, text in (("subject", subject), ("body", body), ("attachment_name", attachment_name)):
        try:
            placeholders.validate(text, kind.placeholders)
        except ValidationError as error:
            errors[field] = error
    if "attachment_name" not in errors:
        if not attachment_name.lower().endswith(".pdf"):
            errors["attachment_name"] = ValidationError(
                _("Le nom de la pièce jointe « %(name)s » doit se terminer par .pdf, par exemple Facture-{numero}.pdf.")
                % {"name": attachment_name},
                code="extension",
            )
        elif _UNSAFE_IN_FILENAME.search(attachment_name):
            errors["attachment_name"] = ValidationError(
                _(
                    "Le nom de la pièce jointe « %(name)s » contient un caractère interdit dans un nom de fichier "
                    '(/ \\ : * ? " < > |) : remplacez-le, par exemple par un tiret.'
                )
                % {"name": attachment_name},
                code="filename",
            )
    return errors


def render_composed(subject: str, body: str, attachment_name: str, values: Mapping[str, str]) -> Composed:
    """Fill the three texts of a template with a document's values."""
    return Composed(
        # A value never brings a line break into the subject; str.split() would also eat no-break spaces.
        subject=_LINE_BREAKS.sub(" ", placeholders.render(subject, values)),
        body=placeholders.render(body, values),
        attachment_name=safe_filename(placeholders.render(attachment_name, values)),
    )


def safe_filename(name: str) -> str:
    """Replace the characters a file name may not contain, which a value such as a number may bring."""
    return _UNSAFE_IN_FILENAME.sub("-", name).strip() or "document.pdf"


def invoice_kind(invoice: Invoice) -> TemplateKind:
    return CREDIT_NOTE if invoice.is_credit_note else INVOICE


def invoice_values(invoice: Invoice) -> dict[str, str]:
    """Return the placeholder values of an issued invoice or credit note, formatted the French way."""
    document = issued_document(invoice)
    credited = invoice.credited_invoice if invoice.is_credit_note else None
    return {
        "client": document.buyer.name,
        "organisation": invoice.organisation.name,
        "numero": invoice.number,
        "date": format_date(document.issue_date),
        "montant": format_amount(invoice.amount_due, invoice.currency),
        "reste_a_payer": format_amount(invoice.balance(), invoice.currency),
        "echeance": format_date(document.due_date or document.issue_date),
        "facture": credited.number if credited is not None else "",
        # Kept as written: sending replaces it by the link's URL (``insert_portal_link``).
        "lien": PORTAL_LINK_MARKER,
    }


def compose_invoice_email(invoice: Invoice) -> Composed:
    """Write an issued invoice's e-mail: the organisation's template if it has one, else the default message."""
    from ardoise.mailing.services import default_body, default_subject

    template = template_for(invoice.organisation, invoice_kind(invoice))
    if template is None:
        return Composed(
            subject=default_subject(invoice),
            body=default_body(invoice),
            attachment_name=invoice_filename(invoice.number, "pdf", invoice.type_code),
        )
    return render_composed(template.subject, template.body, template.attachment_name, invoice_values(invoice))


def invoice_attachment_name(invoice: Invoice) -> str:
    """Return the file name of an invoice's PDF in e-mails, as the organisation's template names it."""
    template = template_for(invoice.organisation, invoice_kind(invoice))
    if template is None:
        return invoice_filename(invoice.number, "pdf", invoice.type_code)
    return safe_filename(placeholders.render(template.attachment_name, invoice_values(invoice)))


def insert_portal_link(document: Any, body: str, *, user: Any = None, request: Any = None) -> str:
    """Replace each {lien} of an e-mail's text by the URL of the document's portal link.

    The link is created, or an existing one reused, only when the text
    contains {lien}.
    """
    if PORTAL_LINK_MARKER not in body:
        return body
    from ardoise.portal.links import portal_url

    return body.replace(PORTAL_LINK_MARKER, portal_url(document, request, user=user))


def statement_values(organisation: Any, statement: Any) -> dict[str, str]:
    return {
        "client": statement.customer.name,
        "organisation": organisation.name,
        "debut": format_date(statement.period.start),
        "fin": format_date(statement.period.end),
        "solde": format_amount(statement.closing_balance, statement.currency),
    }


def compose_statement_email(organisation: Any, statement: Any) -> Composed:
    """Write a customer statement's e-mail: the organisation's template if it has one, else the default message."""
    from ardoise.reports.services import default_body, default_subject
    from ardoise.reports.statement_pdf import statement_filename

    template = template_for(organisation, STATEMENT)
    if template is None:
        return Composed(
            subject=default_subject(organisation, statement),
            body=default_body(organisation, statement),
            attachment_name=statement_filename(statement),
        )
    values = statement_values(organisation, statement)
    return render_composed(template.subject, template.body, template.attachment_name, values)
