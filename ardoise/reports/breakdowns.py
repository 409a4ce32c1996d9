"""Copy each issued document's VAT breakdown and net amounts per product into the report tables.

The rows are written when a document is issued (``signals``),
and ``fill_missing`` writes those of any issued document that has none yet:
documents issued before this app existed, or loaded in bulk without signals.
Every report that reads the tables calls it first for its period, so a
missing row can delay a report but never make it wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q

from ardoise.accounts.models import Organisation
from ardoise.core.document import InvoiceDocument
from ardoise.core.money import Totals, currency_decimals, quantize
from ardoise.invoicing.documents import draft_totals
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from ardoise.reports import monthly
from ardoise.reports.models import RevenueKind, RevenueRow, VatBreakdownRow

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
FILL_BATCH_SIZE = 500


@dataclass(frozen=True)
class DocumentFigures:
    """The figures of one issued document that the report tables copy, in its currency and unsigned."""

    totals: Totals
    # The product of each line, in the order of ``totals.line_amounts``.
    line_products: tuple[int | None, ...]
    vat_total_eur: Decimal | None  # BT-111 when the snapshot has it


def store_rows(invoices: Iterable[Invoice]) -> None:
    """Write the report rows of issued documents that have none, and add them to the monthly totals.

    The organisations' rows are locked first, as the services that issue
    documents lock them, so that two requests filling the same document
    cannot both count it in the monthly totals.
    """
    documents = list(invoices)
    if not documents:
        return
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(
            pk__in={invoice.organisation_id for invoice in documents}
        ).exists()
        stored = set(
            VatBreakdownRow.objects.filter(invoice_id__in=[invoice.pk for invoice in documents]).values_list(
                "invoice_id", flat=True
            )
        )
        new = [invoice for invoice in documents if invoice.pk not in stored]
        vat_rows: list[VatBreakdownRow] = []
        revenue_rows: list[RevenueRow] = []
        for invoice in new:
            figures = document_figures(invoice)
            vat_rows.extend(vat_rows_of(invoice, figures))
            revenue_rows.extend(revenue_rows_of(invoice, figures))
        # ignore_conflicts: revenue rows may remain of a document whose VAT rows were lost.
        VatBreakdownRow.objects.bulk_create(vat_rows, ignore_conflicts=True)
        RevenueRow.objects.bulk_create(revenue_rows, ignore_conflicts=True)
        monthly.add_documents(new)


def fill_missing(organisation: Any, documents: Q | None = None, issued_between: tuple[Any, Any] | None = None) -> int:
    """Write the rows of the organisation's issued documents that have none; return how many documents.

    ``documents`` narrows the search, e.g. to the documents issued in a report's period.
    ``issued_between`` (first and last date) narrows it to documents issued in that range: the
    rows of those documents carry the same issue date, so the search reads only that range of rows.
    """
    rows = VatBreakdownRow.objects.filter(invoice=OuterRef("pk"))
    missing = Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.ISSUED)
    if issued_between is not None:
        first, last = issued_between
        missing = missing.filter(issue_date__gte=first, issue_date__lte=last)
        rows = rows.filter(organisation=organisation, issue_date__gte=first, issue_date__lte=last)
    missing = missing.filter(~Exists(rows))
    if documents is not None:
        missing = missing.filter(documents)
    lines = Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id"))
    count = 0
    batch: list[Invoice] = []
    for invoice in missing.prefetch_related(lines).order_by("pk").iterator(chunk_size=FILL_BATCH_SIZE):
        batch.append(invoice)
        if len(batch) == FILL_BATCH_SIZE:
            store_rows(batch)
            count += len(batch)
            batch = []
    if batch:
        store_rows(batch)
        count += len(batch)
    if count:
        logger.info("report rows filled organisation=%s documents=%s", getattr(organisation, "pk", organisation), count)
    return count


def document_figures(invoice: Invoice) -> DocumentFigures:
    """Read the totals of an issued document from its snapshot, as its PDF printed them.

    Without a snapshot (rows written straight to the database), the totals are
    computed from the stored lines by the same money module, and without
    lines, the stored totals make a single VAT group.
    """
    lines = list(invoice.lines.all())
    products = tuple(line.product_id for line in lines)
    if invoice.document:
        document = InvoiceDocument.from_json(invoice.document)
        totals = document.totals()
        if len(products) != len(document.lines):
            products = (None,) * len(document.lines)
        return DocumentFigures(totals, products, document.vat_total_eur)
    if lines:
        return DocumentFigures(draft_totals(invoice, lines), products, None)
    return DocumentFigures(_stored_totals(invoice), (), None)


def _stored_totals(invoice: Invoice) -> Totals:
    from ardoise.core.money import VatBreakdown, VatKey

    base, tax = invoice.total_without_vat, invoice.total_vat
    # NOTE: only a document written straight to the database lacks both snapshot and lines,
    # so its rate is inferred from its totals and its category left empty.
    rate = quantize(tax * 100 / base, 2) if base else ZERO
    return Totals(
        line_total=base,
        allowance_total=ZERO,
        charge_total=ZERO,
        tax_exclusive=base,
        tax_total=tax,
        tax_inclusive=invoice.total_with_vat,
        prepaid=invoice.prepaid_amount,
        rounding=invoice.rounding_amount,
        due=invoice.amount_due,
        breakdown=(VatBreakdown(VatKey("", rate), base, tax),),
        line_amounts=(base,),
    )


def vat_rows_of(invoice: Invoice, figures: DocumentFigures) -> list[VatBreakdownRow]:
    totals = figures.totals
    sign = -1 if invoice.is_credit_note else 1
    bases = [row.taxable_amount for row in totals.breakdown]
    taxes = [row.tax_amount for row in totals.breakdown]
    rate = _euro_rate(invoice)
    bases_eur = in_euros(bases, totals.tax_exclusive, rate)
    vat_total_eur = figures.vat_total_eur
    if vat_total_eur is None and rate is not None:
        vat_total_eur = quantize(totals.tax_total * rate, 2)
    taxes_eur = in_euros(taxes, totals.tax_total, rate, target=vat_total_eur)
    return [
        VatBreakdownRow(
            **_common_fields(invoice),
            category=row.key.category,
            rate=row.key.rate,
            taxable_amount=sign * row.taxable_amount,
            tax_amount=sign * row.tax_amount,
            taxable_amount_eur=_signed(sign, base_eur),
            tax_amount_eur=_signed(sign, tax_eur),
        )
        for row, base_eur, tax_eur in zip(totals.breakdown, bases_eur, taxes_eur, strict=True)
    ]


def revenue_rows_of(invoice: Invoice, figures: DocumentFigures) -> list[RevenueRow]:
    """Group the line net amounts per product, then add the document-level allowances and charges."""
    totals = figures.totals
    places = currency_decimals(invoice.currency)
    per_product: dict[int | None, Decimal] = {}
    products = figures.line_products or (None,) * len(totals.line_amounts)
    for product, amount in zip(products, totals.line_amounts, strict=True):
        per_product[product] = per_product.get(product, ZERO) + amount
    groups: list[tuple[str, int | None, Decimal]] = [
        (RevenueKind.LINES, product, quantize(amount, places)) for product, amount in per_product.items()
    ]
    adjustments = totals.charge_total - totals.allowance_total
    if adjustments:
        groups.append((RevenueKind.ADJUSTMENTS, None, adjustments))

    sign = -1 if invoice.is_credit_note else 1
    amounts_eur = in_euros([amount for _kind, _product, amount in groups], totals.tax_exclusive, _euro_rate(invoice))
    return [
        RevenueRow(
            **_common_fields(invoice),
            position=position,
            kind=kind,
            product_id=product,
            net_amount=sign * amount,
            net_amount_eur=_signed(sign, amount_eur),
        )
        for position, ((kind, product, amount), amount_eur) in enumerate(zip(groups, amounts_eur, strict=True))
    ]


def in_euros(
    amounts: Sequence[Decimal], total: Decimal, rate: Decimal | None, *, target: Decimal | None = None
) -> list[Decimal | None]:
    """Convert parts of a total into euros so that they add up to the converted total.

    Each part is converted and rounded to the cent; the cent or two that the
    roundings lose or gain goes to the largest part. ``target`` replaces the
    converted total when the document states it (the VAT total in euros,
    BT-111). ``rate`` None means no conversion is possible: every part is None.
    """
    if rate is None:
        return [None] * len(amounts)
    if rate == 1:
        return list(amounts)
    parts = [quantize(amount * rate, 2) for amount in amounts]
    if not parts:
        return []
    expected = target if target is not None else quantize(total * rate, 2)
    largest = max(range(len(amounts)), key=lambda index: abs(amounts[index]))
    parts[largest] += expected - sum(parts, ZERO)
    return list(parts)


def _euro_rate(invoice: Invoice) -> Decimal | None:
    """Return the euros of one unit of the document's currency: 1 for euros, None when unknown."""
    if invoice.currency.upper() == "EUR":
        return Decimal(1)
    return invoice.exchange_rate


def _signed(sign: int, amount: Decimal | None) -> Decimal | None:
    return None if amount is None else sign * amount


def _common_fields(invoice: Invoice) -> dict[str, Any]:
    return {
        "organisation_id": invoice.organisation_id,
        "invoice_id": invoice.pk,
        "customer_id": invoice.customer_id,
        "issue_date": invoice.issue_date,
        "currency": invoice.currency,
        "is_credit_note": invoice.is_credit_note,
    }
