"""Reading of CII XML, UBL 2.1 XML and Factur-X PDF invoices received from others.

``parse_invoice_file`` returns everything an EN 16931 invoice carries that
Ardoise can use, together with the totals written in the file, so that the
caller can rebuild an ``InvoiceDocument`` (``document_from_parsed``) and
compare the file's totals with Ardoise's own computation (``total_differences``).
The factur-x library reads the XML into a dict keyed by business terms, which
``TermReader`` turns into typed values.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from decimal import Decimal

from django.utils.translation import gettext as _
from facturx import get_level, parse_ubl_cii_xml
from lxml import etree

from ardoise.core.document import DocumentLine, InvoiceDocument, VatAmount
from ardoise.core.formats import format_rate
from ardoise.core.money import ZERO, Totals, currency_decimals
from ardoise.einvoice.attachment import FACTURX_FILENAME, find_invoice_xml, looks_like_pdf
from ardoise.einvoice.errors import InvoiceFileError
from ardoise.einvoice.parsed import ParsedInvoice, ParsedLine, ParsedTotals
from ardoise.einvoice.reader import TermReader, missing_term_error, unit_label
from ardoise.einvoice.ubl import UBL_CREDIT_NOTE_ROOT, UBL_INVOICE_ROOT
from ardoise.einvoice.xmlsafe import parse_untrusted_xml, starts_like_xml

__all__ = [
    "ParsedInvoice",
    "ParsedLine",
    "ParsedTotals",
    "document_from_parsed",
    "parse_invoice_file",
    "total_differences",
    "unit_label",
]

CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
# The factur-x library's name of each syntax it reads ("flavor"), by root element.
FLAVORS = {
    CII_ROOT: "factur-x",
    UBL_INVOICE_ROOT: "ubl-2.1-invoice",
    UBL_CREDIT_NOTE_ROOT: "ubl-2.1-creditnote",
}
# A UBL invoice declares EN 16931 or one of its specialisations (Peppol BIS,
# XRechnung, the French extended profile) in BT-24: each carries EN 16931 content.
UBL_PROFILES = frozenset({"en16931"})


def parse_invoice_file(data: bytes, filename: str) -> ParsedInvoice:
    """Read a CII XML, UBL 2.1 XML or Factur-X PDF invoice.

    The format is detected from the first bytes and the root element. Raises
    ``InvoiceFileError`` with a French message when the file is not a readable
    invoice in one of these formats.
    """
    source = "xml"
    warnings = []
    if looks_like_pdf(data):
        source = "pdf"
        attachment = find_invoice_xml(data, filename)
        if attachment.name != FACTURX_FILENAME:
            warnings.append(
                _("La pièce jointe XML du PDF s'appelle « %(name)s » au lieu de « factur-x.xml ».")
                % {"name": attachment.name}
            )
        data = attachment.content
    elif not starts_like_xml(data):
        raise InvoiceFileError(
            _(
                "Le fichier « %(filename)s » n'est ni un PDF ni un XML. Importez une facture "
                "au format Factur-X (PDF), CII ou UBL (XML)."
            )
            % {"filename": filename},
            filename,
        )

    root = parse_untrusted_xml(data, filename)
    flavor = _flavor(root, filename, source)
    profile = _profile(root, flavor, filename)
    try:
        terms = parse_ubl_cii_xml(root, flavor=flavor, level=profile, float_as="string", check_xsd=False)
    except KeyError as error:
        # The library looks amounts up by the currency codes (BT-5, BT-6) it
        # read first, and raises KeyError on a file that has none.
        raise missing_term_error(filename, str(error.args[0])) from error
    except (ValueError, TypeError) as error:
        # The library raises ValueError on a date that is not YYYYMMDD, for example.
        raise InvoiceFileError(
            _("Le fichier « %(filename)s » contient une valeur illisible : %(error)s.")
            % {"filename": filename, "error": error},
            filename,
        ) from error
    return TermReader(terms, filename, source, profile, warnings).invoice()


def document_from_parsed(parsed: ParsedInvoice) -> InvoiceDocument:
    """Rebuild an ``InvoiceDocument`` from a parsed invoice, to recompute its totals.

    A file without lines (BASIC WL) is rebuilt from its VAT breakdown: one line
    per VAT group, whose net amount is the group's taxable amount (BT-116)
    with the group's document allowances added back and charges taken off.
    The engine then recomputes every sum and each group's VAT from them,
    except a group VAT that ``stated_vat_amounts`` keeps as written.
    Raises ``InvoiceFileError`` for a file with neither lines nor VAT
    breakdown (MINIMUM).
    """
    lines = tuple(parsed_line.line for parsed_line in parsed.lines)
    if not parsed.has_lines and parsed.totals.breakdown:
        lines = _lines_from_breakdown(parsed)
    elif not parsed.has_lines:
        raise InvoiceFileError(
            _(
                "La facture %(number)s du fichier « %(filename)s » est au profil %(profile)s, qui "
                "ne détaille ni les lignes ni la TVA par taux : ses montants ne peuvent pas être recalculés. "
                "Demandez à l'émetteur la facture au profil EN 16931 ou EXTENDED."
            )
            % {"number": parsed.number, "filename": parsed.filename, "profile": parsed.profile_name},
            parsed.filename,
        )
    document = InvoiceDocument(
        number=parsed.number,
        type_code=parsed.type_code,
        issue_date=parsed.issue_date,
        currency=parsed.currency,
        seller=parsed.seller,
        buyer=parsed.buyer,
        lines=lines,
        due_date=parsed.due_date,
        delivery_date=parsed.delivery_date,
        delivery_address=parsed.delivery_address,
        business_process=parsed.business_process or "S1",
        buyer_reference=parsed.buyer_reference,
        purchase_order=parsed.purchase_order,
        allowances=parsed.allowances,
        charges=parsed.charges,
        vat_exemptions=parsed.vat_exemptions,
        notes=parsed.notes,
        payment_terms=parsed.payment_terms,
        payment_means_code=parsed.payment_means_code,
        iban=parsed.iban,
        bic=parsed.bic,
        payment_reference=parsed.payment_reference,
        prepaid=parsed.prepaid,
        rounding=parsed.rounding,
        vat_total_eur=parsed.vat_total_in_tax_currency if parsed.tax_currency == "EUR" else None,
        preceding_invoice=parsed.preceding_invoice,
        preceding_invoice_date=parsed.preceding_invoice_date,
    )
    return replace(document, vat_amounts=stated_vat_amounts(parsed, document.totals()))


# How far a group's written VAT (BT-117) may be from its base times its rate and still be kept, in
# minor units (cents). An invoice of a quote computes its VAT cumulatively, which keeps each
# invoice within two minor units of its own base times its rate (``ardoise.quotes.allocation``).
STATED_VAT_TOLERANCE = 2


def stated_vat_amounts(parsed: ParsedInvoice, computed: Totals) -> tuple[VatAmount, ...]:
    """Return the written VAT of each group whose base matches and whose VAT is close to base × rate.

    EN 16931 lets an invoice state a group's VAT that differs from its base
    times its rate: BR-CO-17 in the Factur-X 1.09 schematron accepts up to one
    currency unit. The invoices Ardoise makes from a quote differ by a cent
    or two, so recomputing their VAT would report a gap that the issuer did
    not make. A larger difference, or a group whose base does not match,
    is still recomputed and reported.
    """
    tolerance = Decimal(STATED_VAT_TOLERANCE).scaleb(-currency_decimals(parsed.currency))
    computed_rows = {row.key: row for row in computed.breakdown}
    stated = []
    for row in parsed.totals.breakdown:
        other = computed_rows.get(row.key)
        if other is None or other.taxable_amount != row.taxable_amount:
            continue
        if row.tax_amount != other.tax_amount and abs(row.tax_amount - other.tax_amount) <= tolerance:
            stated.append(VatAmount(row.key.category, row.key.rate, row.tax_amount))
    return tuple(stated)


def _lines_from_breakdown(parsed: ParsedInvoice) -> tuple[DocumentLine, ...]:
    """Return one line per VAT group of a file without lines; see ``document_from_parsed``."""
    places = currency_decimals(parsed.currency)
    lines = []
    for row in parsed.totals.breakdown:
        in_group = [a for a in (*parsed.allowances, *parsed.charges) if a.vat == row.key]
        # Resolved on the group's amount before allowances and charges, as the engine resolves them.
        adjustments = sum((a.signed_factor * a.resolve(row.taxable_amount, places) for a in in_group), ZERO)
        net = row.taxable_amount - adjustments
        lines.append(
            DocumentLine(
                name=_("Montant de la catégorie de TVA %(category)s à %(rate)s")
                % {"category": row.key.category, "rate": format_rate(row.key.rate)},
                quantity=Decimal("1"),
                unit_code="C62",
                unit_label="",
                net_price=net,
                vat_category=row.key.category,
                vat_rate=row.key.rate,
                net_amount=net,
            )
        )
    return tuple(lines)


def total_differences(written: ParsedTotals, computed: Totals) -> dict[str, tuple[Decimal, Decimal]]:
    """Return the totals where the file and the computation disagree.

    Keys are business terms ("BT-109") or VAT breakdown rows ("BT-116 S 20",
    "BT-117 S 20"); values are (written in the file, computed). Terms absent
    from the file are not compared.
    """
    differences = {}
    computed_terms = computed.as_bt_dict()
    for term, value in written.as_bt_dict().items():
        if value != computed_terms[term]:
            differences[term] = (value, computed_terms[term])

    computed_rows = {row.key: row for row in computed.breakdown}
    for row in written.breakdown:
        label = f"{row.key.category} {row.key.rate}"
        other = computed_rows.pop(row.key, None)
        if other is None:
            differences["BT-116 " + label] = (row.taxable_amount, ZERO)
            continue
        if row.taxable_amount != other.taxable_amount:
            differences["BT-116 " + label] = (row.taxable_amount, other.taxable_amount)
        if row.tax_amount != other.tax_amount:
            differences["BT-117 " + label] = (row.tax_amount, other.tax_amount)
    for key, other in computed_rows.items():
        differences[f"BT-116 {key.category} {key.rate}"] = (ZERO, other.taxable_amount)
    return differences


def _flavor(root: etree._Element, filename: str, source: str) -> str:
    flavor = FLAVORS.get(root.tag)
    if flavor == "factur-x" or (flavor is not None and source == "xml"):
        return flavor
    if flavor is not None:
        message = _(
            "Le PDF « %(filename)s » contient une facture UBL : une facture Factur-X contient du CII. "
            "Importez le XML UBL seul, ou demandez une facture Factur-X conforme."
        )
    else:
        message = _(
            "Le fichier « %(filename)s » n'est pas une facture : son élément racine est « %(root)s » "
            "au lieu de « CrossIndustryInvoice » (CII), « Invoice » ou « CreditNote » (UBL). "
            "Importez une facture au format Factur-X, CII ou UBL."
        )
    raise InvoiceFileError(message % {"filename": filename, "root": etree.QName(root).localname}, filename)


def _profile(root: etree._Element, flavor: str, filename: str) -> str:
    guideline = _guideline(root)
    profile = ""
    # The library fails on an empty BT-24 with AttributeError, so it is only given a filled one.
    if guideline:
        with contextlib.suppress(ValueError):
            profile = get_level(root, flavor)
    if flavor == "factur-x" and profile:
        return profile
    if profile in UBL_PROFILES:
        return profile
    raise InvoiceFileError(
        _(
            "Le fichier « %(filename)s » n'indique pas un profil de facture connu (BT-24, « %(guideline)s ») : "
            "seuls les profils Factur-X et EN 16931 sont pris en charge. Demandez à l'émetteur "
            "la facture au profil EN 16931."
        )
        % {"filename": filename, "guideline": guideline or "—"},
        filename,
    )


def _guideline(root: etree._Element) -> str:
    """Return the declared specification (BT-24) of a CII or UBL invoice, or an empty string."""
    for element in root.iter("{*}GuidelineSpecifiedDocumentContextParameter", "{*}CustomizationID"):
        if element.tag.endswith("CustomizationID"):
            return (element.text or "").strip()
        identifier = element.find("{*}ID")
        return (identifier.text or "").strip() if identifier is not None else ""
    return ""
