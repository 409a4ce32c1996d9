"""Build the ``QuoteDocument`` snapshot of a quote and the data its PDF prints.

The lines, discounts, VAT groups and totals come from the invoicing engine
(``ardoise.invoicing.documents``), so a quote converted into an invoice keeps
exactly the same amounts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from ardoise.core.document import InvoiceDocument, Note
from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.core.money import currency_decimals, quantize
from ardoise.invoicing.documents import (
    adjustment_exemptions,
    business_process,
    combine_exemptions,
    document_line,
    draft_adjustments,
    legal_mentions,
    seller_party,
    vat_exemptions,
)
from ardoise.quotes.models import Quote, QuoteKind

# UNTDID 1001 document name codes: 310 offer or quotation, 325 pro forma invoice.
QUOTE_TYPE_CODE = "310"
PROFORMA_TYPE_CODE = "325"


@dataclass(frozen=True)
class QuoteDocument:
    """The snapshot of an issued quote: the invoice-like body plus the validity, conditions, version and deposit."""

    kind: str
    body: InvoiceDocument
    validity_date: datetime.date
    conditions: str = ""
    version: int = 1
    previous_number: str = ""
    deposit_percent: Decimal | None = None

    @property
    def number(self) -> str:
        return self.body.number

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "body": self.body.to_json(),
            "validity_date": self.validity_date.isoformat(),
            "conditions": self.conditions,
            "version": self.version,
            "previous_number": self.previous_number,
            "deposit_percent": None if self.deposit_percent is None else str(self.deposit_percent),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuoteDocument:
        deposit = data.get("deposit_percent")
        return cls(
            kind=data["kind"],
            body=InvoiceDocument.from_json(data["body"]),
            validity_date=datetime.date.fromisoformat(data["validity_date"]),
            conditions=data.get("conditions", ""),
            version=int(data.get("version", 1)),
            previous_number=data.get("previous_number", ""),
            deposit_percent=None if deposit is None else Decimal(deposit),
        )


def build_quote_document(
    quote: Quote, *, number: str, issue_date: datetime.date, validity_date: datetime.date
) -> QuoteDocument:
    """Snapshot the quote, its organisation and its customer.

    A pro forma invoice gives the bank details and its number as payment
    reference, because customers use it to pay in advance. A quote prints no payment block.
    """
    organisation = quote.organisation
    customer = quote.customer
    db_lines = list(quote.lines.all())
    places = currency_decimals(quote.currency)
    # The invoicing helpers are annotated with InvoiceLine but only read the fields QuoteLine shares with it.
    lines = [document_line(line, places) for line in db_lines]  # type: ignore[arg-type]
    allowances, charges = draft_adjustments(quote, lines, places)  # type: ignore[arg-type]
    # A 0 % charge on the total with no line at its rate states its own exemption reason.
    exemptions = combine_exemptions(
        vat_exemptions(db_lines) + adjustment_exemptions(quote)  # type: ignore[arg-type, operator]
    )
    process = business_process(lines)
    notes: tuple[Note, ...] = (Note(quote.notes, "AAI"),) if quote.notes else ()
    mentions = legal_mentions(organisation, process, notes, exemptions)
    is_proforma = quote.kind == QuoteKind.PROFORMA
    if is_proforma:
        warning = _("Facture pro forma : ce document n'est pas une facture et ne permet pas de déduire la TVA.")
        mentions = (warning, *mentions)
    body = InvoiceDocument(
        number=number,
        type_code=PROFORMA_TYPE_CODE if is_proforma else QUOTE_TYPE_CODE,
        issue_date=issue_date,
        currency=quote.currency,
        seller=seller_party(organisation),
        buyer=customer.to_party(),
        lines=tuple(lines),
        delivery_address=customer.delivery_address(),
        business_process=process,
        allowances=allowances,
        charges=charges,
        vat_exemptions=exemptions,
        notes=notes,
        iban=organisation.iban if is_proforma else "",
        bic=organisation.bic if is_proforma else "",
        payment_reference=number if is_proforma else "",
        legal_mentions=mentions,
    )
    previous = quote.previous_version
    return QuoteDocument(
        kind=quote.kind,
        body=body,
        validity_date=validity_date,
        conditions=quote.conditions,
        version=quote.version,
        previous_number=previous.number if previous is not None else "",
        deposit_percent=quote.deposit_percent,
    )


def quote_pdf_context(document: QuoteDocument) -> dict[str, Any]:
    """Return the data ``invoice.typ`` prints for a quote: the invoice layout with the quote's blocks."""
    from ardoise.pdf.context import invoice_context

    body = document.body
    is_proforma = document.kind == QuoteKind.PROFORMA
    with translation.override(body.language):
        data = invoice_context(body)
        title = _("Facture pro forma") if is_proforma else _("Devis")
        data["title"] = title
        data["metadata"]["title"] = "%s %s" % (title, body.number)
        data["metadata"]["subject"] = _("%(title)s du %(date)s, client : %(buyer)s") % {
            "title": data["metadata"]["title"],
            "date": format_date(body.issue_date),
            "buyer": body.buyer.name,
        }
        data["labels"]["due"] = _("Total TTC")
        # The highlighted box already shows the total including VAT, so its row would print it twice.
        total_label = _("Total TTC")
        data["totals"] = [row for row in data["totals"] if row[0] != total_label]
        data["facts"] = _facts(document)
        if not is_proforma:
            data["payment"] = None
        data["quote"] = {
            "labels": {
                "conditions": _("Conditions"),
                "acceptance": _("Bon pour accord"),
                "acceptance_help": _(
                    "Pour accepter ce devis, retournez-le daté et signé, précédé de la mention « Bon pour accord »."
                ),
                "date": _("Date"),
                "signature": _("Signature et cachet"),
            },
            "conditions": _conditions(document),
            "acceptance": not is_proforma,
        }
    return data


def _facts(document: QuoteDocument) -> list[list[str]]:
    body = document.body
    facts = [
        [_("Date d'émission"), format_date(body.issue_date)],
        [_("Valable jusqu'au"), format_date(document.validity_date)],
    ]
    if document.version > 1:
        version = str(document.version)
        if document.previous_number:
            version = _("%(version)s (remplace %(number)s)") % {
                "version": document.version,
                "number": document.previous_number,
            }
        facts.append([_("Version"), version])
    return facts


def _conditions(document: QuoteDocument) -> str:
    """Return the quote's conditions, preceded by the requested deposit and its amount when there is one."""
    parts = []
    if document.deposit_percent:
        totals = document.body.totals()
        deposit = quantize(totals.tax_inclusive * document.deposit_percent / 100, document.body.decimals)
        parts.append(
            _("Acompte de %(percent)s à la commande, soit %(amount)s TTC.")
            % {
                "percent": format_rate(document.deposit_percent),
                "amount": format_amount(deposit, document.body.currency),
            }
        )
    if document.conditions:
        parts.append(document.conditions)
    return "\n".join(parts)


def issued_quote_document(quote: Quote) -> QuoteDocument:
    """Return the snapshot stored when the quote was issued."""
    if quote.document is None:
        raise ValueError("quote %s is a draft: it has no snapshot" % quote.pk)
    return QuoteDocument.from_json(quote.document)
