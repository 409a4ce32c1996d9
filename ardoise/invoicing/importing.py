"""Create a draft invoice from a CII or UBL XML file, or a Factur-X PDF."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.document import Party
from ardoise.core.formats import format_amount, format_rate
from ardoise.core.forms import format_decimal_input
from ardoise.core.money import Totals, quantize
from ardoise.core.vat import CATEGORY_EXEMPTIONS, EXEMPTIONS
from ardoise.customers.models import Customer, CustomerKind
from ardoise.einvoice.parse import InvoiceFileError, ParsedInvoice, ParsedLine, parse_invoice_file, total_differences
from ardoise.invoicing.documents import adjustment_to_json, draft_totals
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import refresh_totals

logger = logging.getLogger(__name__)

# Notes Ardoise writes itself from the organisation profile on every invoice:
# payment terms (PMT, PMD, AAB) and the seller's legal identity (REG, ABL).
LEGAL_NOTE_CODES = {"PMT", "PMD", "AAB", "REG", "ABL"}


TOTAL_LABELS = {
    "BT-106": gettext_lazy("Total des lignes HT"),
    "BT-107": gettext_lazy("Remises"),
    "BT-108": gettext_lazy("Frais"),
    "BT-109": gettext_lazy("Total HT"),
    "BT-110": gettext_lazy("Total TVA"),
    "BT-111": gettext_lazy("Total TVA en euros"),
    "BT-112": gettext_lazy("Total TTC"),
    "BT-113": gettext_lazy("Acomptes versés"),
    "BT-114": gettext_lazy("Arrondi"),
    "BT-115": gettext_lazy("Net à payer"),
}

# UNTDID 1001 codes of credit notes that EN 16931 allows (BT-3).
CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})


def import_invoice_file(
    data: bytes,
    filename: str,
    *,
    organisation: Organisation | None = None,
    organisation_hint: str | None = None,
    user: Any = None,
    request: Any = None,
) -> Invoice:
    """Parse the file and create a draft with the same lines, allowances, charges, VAT and notes."""
    parsed = parse_invoice_file(data, filename)
    if not parsed.has_lines:
        raise InvoiceFileError(
            _(
                "La facture %(number)s du fichier « %(filename)s » est au profil %(profile)s, qui ne détaille "
                "pas les lignes : elle ne peut pas être reprise en brouillon. Importez la facture au profil "
                "EN 16931 ou EXTENDED."
            )
            % {"number": parsed.number, "filename": filename, "profile": parsed.profile_name},
            filename,
        )
    if parsed.type_code in CREDIT_NOTE_TYPE_CODES:
        # Its positive amounts would become an invoice that bills the customer instead of crediting them.
        raise InvoiceFileError(
            _(
                "Le fichier « %(filename)s » est un avoir (n° %(number)s, type %(type)s), pas une facture : "
                "Ardoise ne reprend que des factures. Pour créditer un client, ouvrez la facture émise "
                "concernée et choisissez « Créer un avoir »."
            )
            % {"filename": filename, "number": parsed.number, "type": parsed.type_code},
            filename,
        )
    with transaction.atomic():
        organisation = organisation or find_or_create_organisation(parsed.seller, organisation_hint)
        if organisation.profile_is_empty():
            fill_profile_from_seller(organisation, parsed)
        warnings = [
            *parsed.warnings,
            *seller_warnings(organisation, parsed.seller),
            *duplicate_warnings(organisation, parsed.number),
        ]
        customer = find_or_create_customer(organisation, parsed.buyer)
        if parsed.delivery_address is not None and not customer.delivery_city:
            set_delivery_address(customer, parsed.delivery_address)
        exchange_rate, rate_warnings = imported_exchange_rate(parsed)
        warnings.extend(rate_warnings)
        invoice = create_draft(organisation, customer, parsed, filename, exchange_rate)
        warnings += total_gap_warnings(parsed, draft_totals(invoice))
        # Kept with the draft's history: the page shows the warnings once, right after the import.
        audit_data: dict[str, Any] = {"file": filename, "source_number": parsed.number}
        if warnings:
            audit_data["warnings"] = [str(warning) for warning in warnings]
        record(organisation, "invoice.imported", invoice, user=user, request=request, data=audit_data)
    logger.info("invoice imported organisation=%s invoice=%s file=%s", organisation.pk, invoice.pk, filename)
    # French sentences for the person importing, e.g. a seller that is not this organisation.
    invoice.import_warnings = warnings
    return invoice


def total_gap_warnings(parsed: ParsedInvoice, computed: Totals) -> list[str]:
    """Warn about each total of the draft that differs from the total written in the file.

    NOTE: a draft computes each group's VAT as base × rate when it is issued,
    with no place to keep a VAT stated otherwise. A file whose VAT differs by
    a cent, as the deposit and final invoices of a quote may, therefore gets
    a warning: the draft really would charge that cent differently.
    """
    return [
        _(
            "Écart entre le fichier et le brouillon : %(gap)s. Vérifiez les lignes, les remises, les frais "
            "et la TVA du brouillon avant de l'émettre."
        )
        % {"gap": gap}
        for gap in describe_total_gaps(parsed, computed)
    ]


def describe_total_gaps(parsed: ParsedInvoice, computed: Totals) -> list[str]:
    """Describe each total that differs between the file and the computation, amounts written in French."""
    return [
        _("%(total)s écrit %(written)s dans le fichier, %(computed)s calculé")
        % {
            "total": total_label(term),
            "written": format_amount(written, parsed.currency),
            "computed": format_amount(value, parsed.currency),
        }
        for term, (written, value) in total_differences(parsed.totals, computed).items()
    ]


def total_label(term: str) -> str:
    """Name a term of ``total_differences`` in French: "Total TTC (BT-112)", "TVA S 20 % (BT-117)"."""
    if term in TOTAL_LABELS:
        return "%s (%s)" % (TOTAL_LABELS[term], term)
    # A VAT breakdown row: "BT-116 S 20.00" (taxable amount) or "BT-117 S 20.00" (VAT amount).
    code, category, rate = term.split(" ")
    label = _("Base HT de la TVA") if code == "BT-116" else _("TVA")
    return "%s %s %s (%s)" % (label, category, format_rate(Decimal(rate)), code)


def seller_warnings(organisation: Organisation, seller: Party) -> list[str]:
    """Warn when the file was issued by another business than the organisation.

    The SIREN is compared when both sides have one, else the VAT number, since
    a foreign seller has no SIREN.
    """
    own_siren, theirs_siren = organisation.siren, seller.siren or seller.siret[:9]
    own_vat, theirs_vat = compact(organisation.vat_number), compact(seller.vat_number)
    if own_siren and theirs_siren:
        if own_siren == theirs_siren:
            return []
        identifiers = {"theirs": "SIREN %s" % theirs_siren, "own": "SIREN %s" % own_siren}
    elif own_vat and theirs_vat:
        if own_vat.upper() == theirs_vat.upper():
            return []
        identifiers = {"theirs": _("TVA %s") % theirs_vat, "own": _("TVA %s") % own_vat}
    else:
        return []
    return [
        _(
            "Le vendeur du fichier (%(seller)s, %(theirs)s) n'est pas votre entreprise (%(own)s) : "
            "le brouillon sera émis à votre nom. Vérifiez qu'il s'agit bien d'une de vos factures."
        )
        % {"seller": seller.name, **identifiers}
    ]


def duplicate_warnings(organisation: Organisation, number: str) -> list[str]:
    """Warn when the file is an invoice this organisation already issued."""
    if Invoice.objects.filter(organisation=organisation, number=number).exists():
        return [
            _("La facture %(number)s existe déjà dans Ardoise : ce brouillon en est une copie.") % {"number": number}
        ]
    return []


def find_or_create_organisation(seller: Party, hint: str | None) -> Organisation:
    from ardoise.core.cli import resolve_organisation

    if hint or Organisation.objects.exists():
        try:
            return resolve_organisation(hint)
        except CommandError as error:
            raise InvoicingError(str(error)) from None
    return Organisation.objects.create(name=seller.name)


def fill_profile_from_seller(organisation: Organisation, parsed: ParsedInvoice) -> None:
    """Copy the seller's legal details into an organisation profile that was never filled in."""
    seller = parsed.seller
    organisation.name = seller.name or organisation.name
    organisation.trading_name = seller.trading_name
    organisation.address_line1 = seller.address.line1
    organisation.address_line2 = " ".join(filter(None, [seller.address.line2, seller.address.line3]))
    organisation.postcode = seller.address.postcode
    organisation.city = seller.address.city
    organisation.country_code = seller.address.country_code or "FR"
    organisation.siren = compact(seller.siren) or compact(seller.siret)[:9]
    organisation.siret = compact(seller.siret)
    organisation.vat_number = compact(seller.vat_number)
    organisation.email = seller.email if "@" in seller.email else organisation.email
    organisation.phone = seller.phone
    if parsed.iban:
        organisation.iban = parsed.iban.replace(" ", "").upper()
        organisation.bic = parsed.bic
    for note in parsed.notes:
        if note.subject_code == "PMD":
            organisation.late_penalty_text = note.text
        elif note.subject_code == "AAB":
            organisation.early_payment_text = note.text[:300]
    clip_to_field_lengths(organisation)
    organisation.save()


def compact(identifier: str) -> str:
    """Return a SIREN, SIRET or VAT number without spaces, dots or dashes, in upper case."""
    return "".join(character for character in identifier if character.isalnum()).upper()


def clip_to_field_lengths(instance: Any) -> None:
    """Cut text copied from a file to the length of its column.

    E-invoices allow longer texts than Ardoise stores (a BIC with spaces, a long
    trading name); the draft stays editable, so the user can fix them.
    """
    for field in instance._meta.concrete_fields:
        max_length = getattr(field, "max_length", None)
        value = getattr(instance, field.attname)
        if max_length and isinstance(value, str) and len(value) > max_length:
            setattr(instance, field.attname, value[:max_length])


def find_or_create_customer(organisation: Organisation, buyer: Party) -> Customer:
    """Match the buyer by SIREN, then VAT number, then name; create it when none matches."""
    customers = Customer.objects.filter(organisation=organisation)
    # Identifiers are stored as the validators leave them: no spaces, upper case.
    siren, siret, vat_number = compact(buyer.siren), compact(buyer.siret), compact(buyer.vat_number)
    lookups = []
    if siren:
        lookups.append(Q(siren=siren))
    if vat_number:
        lookups.append(Q(vat_number__iexact=vat_number))
    if buyer.name:
        lookups.append(Q(name__iexact=buyer.name))
    for lookup in lookups:
        match = customers.filter(lookup).order_by("id").first()
        if match is not None:
            return match
    address = buyer.address
    customer = Customer(
        organisation=organisation,
        kind=CustomerKind.COMPANY if (siren or vat_number or buyer.is_company) else CustomerKind.INDIVIDUAL,
        name=buyer.name or _("Client sans nom"),
        siren=siren,
        siret=siret,
        vat_number=vat_number,
        email=buyer.email if "@" in buyer.email else "",
        phone=buyer.phone,
        address_line1=address.line1,
        address_line2=" ".join(filter(None, [address.line2, address.line3])),
        postcode=address.postcode,
        city=address.city,
        country_code=address.country_code or "FR",
    )
    clip_to_field_lengths(customer)
    customer.save()
    return customer


def set_delivery_address(customer: Customer, address: Any) -> None:
    customer.delivery_address_line1 = address.line1
    customer.delivery_address_line2 = " ".join(filter(None, [address.line2, address.line3]))
    customer.delivery_postcode = address.postcode
    customer.delivery_city = address.city
    customer.delivery_country_code = address.country_code
    clip_to_field_lengths(customer)
    customer.save()


def imported_exchange_rate(parsed: ParsedInvoice) -> tuple[Decimal | None, list[str]]:
    """Derive the exchange rate « 1 unit = x EUR » of a file in another currency, with French warnings.

    The file states its VAT total in its currency (BT-110) and, as the French
    rules require, in euros (BT-111): their ratio is the rate the seller used.
    """
    if parsed.currency.upper() == "EUR":
        return None, []
    in_euros = parsed.vat_total_in_tax_currency if parsed.tax_currency.upper() == "EUR" else None
    vat_total = parsed.totals.tax_total
    if in_euros is None or not vat_total:
        return None, [
            _(
                "Le fichier ne donne pas le montant de la TVA en euros : saisissez le taux de change "
                "(1 %(currency)s = … EUR) dans le brouillon avant de l'émettre."
            )
            % {"currency": parsed.currency}
        ]
    rate = quantize(in_euros / vat_total, 6)
    values = {
        "currency": parsed.currency,
        "rate": format_decimal_input(rate, 0),
        "euros": format_amount(in_euros, "EUR"),
    }
    if rate <= 0 or quantize(vat_total * rate, 2) != in_euros:
        return None, [
            _(
                "La TVA en euros du fichier (%(euros)s) ne correspond à aucun taux de change à six décimales : "
                "saisissez le taux (1 %(currency)s = … EUR) dans le brouillon avant de l'émettre."
            )
            % values
        ]
    return rate, [
        _(
            "Taux de change déduit de la TVA en euros du fichier (%(euros)s) : 1 %(currency)s = %(rate)s EUR. "
            "Vérifiez-le avant d'émettre."
        )
        % values
    ]


def create_draft(
    organisation: Organisation,
    customer: Customer,
    parsed: ParsedInvoice,
    filename: str,
    exchange_rate: Decimal | None = None,
) -> Invoice:
    user_notes = [note.text for note in parsed.notes if note.subject_code not in LEGAL_NOTE_CODES]
    invoice = Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        type_code=parsed.type_code if parsed.type_code in ("380", "386", "384", "389") else "380",
        currency=parsed.currency,
        exchange_rate=exchange_rate,
        delivery_date=parsed.delivery_date,
        purchase_order=parsed.purchase_order,
        buyer_reference=parsed.buyer_reference,
        notes="\n\n".join(user_notes),
        imported_from=filename[:200],
        document_adjustments=[adjustment_to_json(a) for a in (*parsed.allowances, *parsed.charges)],
        vat_exemptions=[
            {"category": e.category, "rate": str(e.rate), "reason": e.reason, "reason_code": e.reason_code}
            for e in parsed.vat_exemptions
        ],
        prepaid_amount=parsed.prepaid,
        rounding_amount=parsed.rounding,
    )
    exemptions = {(e.category, e.rate): e for e in parsed.vat_exemptions}
    for position, parsed_line in enumerate(parsed.lines, start=1):
        draft_line(invoice, parsed_line, position, exemptions, parsed.business_process).save()
    refresh_totals(invoice)
    return invoice


def draft_line(  # type: ignore[type-arg]
    invoice: Invoice, parsed_line: ParsedLine, position: int, exemptions: dict, invoice_process: str = ""
) -> InvoiceLine:
    line = parsed_line.line
    # BT-23 (B1, S1, M1…) gives goods or services for the whole invoice, so a
    # mixed invoice leaves each line's nature to the user.
    is_service = line.is_service if not invoice_process.startswith("B") else False
    exemption = exemptions.get((line.vat_category, line.vat_rate))
    exemption_key = CATEGORY_EXEMPTIONS.get(line.vat_category, "")
    if line.vat_category == "E":
        exemption_key = "franchise" if exemption and exemption.reason_code == "VATEX-FR-FRANCHISE" else "article_261"
    exemption_text = exemption.reason if exemption else ""
    if not exemption_text and exemption_key in EXEMPTIONS:
        exemption_text = str(EXEMPTIONS[exemption_key].wording)
    adjustments = [adjustment_to_json(a) for a in (*line.allowances, *line.charges)]
    return InvoiceLine(
        invoice=invoice,
        position=position,
        name=line.name[:200],
        description=line.description,
        is_service=is_service,
        quantity=line.quantity,
        unit=line.unit_code[:3],
        unit_price=line.net_price,
        base_quantity=line.base_quantity or Decimal("1"),
        vat_rate=line.vat_rate,
        vat_category=line.vat_category,
        exemption=exemption_key,
        exemption_text=exemption_text[:300],
        extra_adjustments=adjustments,
    )
