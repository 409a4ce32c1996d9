"""Hooks through which the app an invoice was made from completes it.

An invoice made from a quote carries more than its lines: cumulative VAT
amounts, the references of the invoices it deducts, the quote's number, and
checks that issuing must pass, and issuing it moves the quote's status. The quotes app registers an ``InvoiceSource``
in its ``AppConfig.ready()``; invoicing calls every registered source, so it
never imports the apps built on it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ardoise.core.document import InvoiceDocument
from ardoise.core.money import VatKey

if TYPE_CHECKING:
    from ardoise.invoicing.models import Invoice


class InvoiceSource(Protocol):
    def vat_amounts(self, invoice: Invoice, bases: dict[VatKey, Decimal]) -> dict[VatKey, Decimal]:
        """Return the VAT amounts that replace the computed ones, per VAT group; {} for none."""
        ...

    def complete_document(self, invoice: Invoice, document: InvoiceDocument) -> InvoiceDocument:
        """Return the snapshot with the source's references added."""
        ...

    def issue_problems(self, invoice: Invoice) -> list[str]:
        """Return the French reasons why the invoice cannot be issued yet; [] when it can."""
        ...

    def invoice_issued(self, invoice: Invoice, *, user: Any = None, request: Any = None) -> None:
        """Act on an invoice or credit note just issued, inside the issuing transaction."""
        ...


_sources: list[InvoiceSource] = []


def register(source: InvoiceSource) -> None:
    if source not in _sources:
        _sources.append(source)


def vat_amounts(invoice: Invoice, bases: dict[VatKey, Decimal]) -> dict[VatKey, Decimal]:
    amounts: dict[VatKey, Decimal] = {}
    for source in _sources:
        amounts.update(source.vat_amounts(invoice, bases))
    return amounts


def complete_document(invoice: Invoice, document: InvoiceDocument) -> InvoiceDocument:
    for source in _sources:
        document = source.complete_document(invoice, document)
    return document


def issue_problems(invoice: Invoice) -> list[str]:
    return [problem for source in _sources for problem in source.issue_problems(invoice)]


def invoice_issued(invoice: Invoice, *, user: Any = None, request: Any = None) -> None:
    for source in _sources:
        source.invoice_issued(invoice, user=user, request=request)
