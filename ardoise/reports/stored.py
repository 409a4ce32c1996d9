"""Keep ``DocumentBalance`` and ``CustomerAccount`` exact: rows rewritten from scratch, never incremented.

The payments, credit notes and receipts stay the source of truth. Each
function here recomputes the derived rows of the documents or customers it
is given from them, with the same SQL as ``invoicing.queries.with_balance``,
and writes them in the caller's transaction. The services lock the
organisation's row before they record anything, so two writers never
recompute the same rows from different snapshots.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber, TruncMonth

from ardoise.core.money import quantize
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.invoicing.queries import with_balance
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.reports.models import CustomerAccount, CustomerMonth, DocumentBalance, OpenDueDate
from ardoise.reports.periods import add_months

ZERO = Decimal("0.00")
BATCH = 2000
# A customer's payment habit is read on their last invoices paid in full, as many as this.
HABIT_INVOICES = 12
DOCUMENT_FIELDS = (
    "organisation",
    "customer",
    "currency",
    "is_credit_note",
    "issue_date",
    "due_date",
    "amount_due",
    "paid",
    "credited",
    "refunded",
    "balance",
    "last_paid_on",
    "last_moved",
    "expected_delay",
)


def _related(invoice_ids: set[int]) -> set[int]:
    """Add the documents whose balance moves with these: credited invoices, and all their credit notes.

    A credit note's balance is what is left to refund on it, which depends on
    the balance of the invoice it credits.
    """
    invoices = set(invoice_ids)
    invoices |= {
        pk
        for pk in Invoice.objects.filter(pk__in=invoice_ids, credited_invoice__isnull=False).values_list(
            "credited_invoice_id", flat=True
        )
        if pk
    }
    notes = Invoice.objects.filter(credited_invoice_id__in=invoices).values_list("pk", flat=True)
    return invoices | set(notes)


def refresh_documents(invoice_ids: Iterable[int | None]) -> None:
    """Rewrite the stored balances of these documents and of those whose balance depends on them."""
    ids = {pk for pk in invoice_ids if pk}
    if not ids:
        return
    customers = _write_documents(sorted(_related(ids)))
    # A payment may settle an invoice, and so change its customer's habit. The account row exists
    # once the customer has an issued document; ``refresh_accounts`` writes the habit with it.
    habits = payment_habits(Q(customer_id__in={customer for customer, _currency in customers}))
    for customer, currency in customers:
        count, days = habits.get((customer, currency), (0, 0))
        CustomerAccount.objects.filter(customer_id=customer, currency=currency).update(
            settled_count=count, days_late_total=days
        )
    _write_expected_delays(customers, habits)


def expected_delay(count: int, days: int) -> int:
    """Return the days a customer's invoice is expected after its due date: their average delay, rounded.

    Halves round away from zero, as SQL's ROUND does; a customer who never
    paid an invoice in full is expected on the due date.
    """
    if not count:
        return 0
    return int((Decimal(days) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _write_expected_delays(pairs: Iterable[tuple[int, str]], habits: dict[tuple[int, str], tuple[int, int]]) -> None:
    """Write each (customer id, currency)'s expected delay on their open documents, where it changed."""
    customers_of: dict[tuple[str, int], list[int]] = {}
    for customer, currency in pairs:
        delay = expected_delay(*habits.get((customer, currency), (0, 0)))
        customers_of.setdefault((currency, delay), []).append(customer)
    for (currency, delay), customers in customers_of.items():
        for start in range(0, len(customers), BATCH):
            DocumentBalance.objects.filter(customer_id__in=customers[start : start + BATCH], currency=currency).exclude(
                balance=0
            ).exclude(expected_delay=delay).update(expected_delay=delay)


def _write_documents(ids: list[int]) -> set[tuple[int, str]]:
    """Rewrite the stored balances of these documents; return their (customer id, currency) pairs."""
    documents = with_balance(Invoice.objects.filter(pk__in=ids, status=InvoiceStatus.ISSUED)).order_by()
    found = list(
        documents.values(
            "pk",
            "organisation_id",
            "customer_id",
            "currency",
            "type_code",
            "issue_date",
            "due_date",
            "amount_due",
            "paid_amount",
            "credited_amount",
            "refunded_amount",
            "balance_amount",
        )
    )
    if not found:
        return set()
    last_paid = dict(
        Payment.objects.filter(invoice_id__in=ids)
        .order_by()
        .values("invoice_id")
        .annotate(last=Max("date"))
        .values_list("invoice_id", "last")
    )
    credit_notes = dict(
        Invoice.objects.filter(
            credited_invoice_id__in=ids, status=InvoiceStatus.ISSUED, type_code=DocumentType.CREDIT_NOTE
        )
        .order_by()
        .values("credited_invoice_id")
        .annotate(last=Max("issue_date"))
        .values_list("credited_invoice_id", "last")
    )
    refunds = dict(
        Payment.objects.filter(
            invoice__credited_invoice_id__in=ids,
            invoice__status=InvoiceStatus.ISSUED,
            invoice__type_code=DocumentType.CREDIT_NOTE,
        )
        .order_by()
        .values("invoice__credited_invoice_id")
        .annotate(last=Max("date"))
        .values_list("invoice__credited_invoice_id", "last")
    )
    rows = []
    for row in found:
        pk = row["pk"]
        dates = [row["issue_date"], last_paid.get(pk), credit_notes.get(pk), refunds.get(pk)]
        rows.append(
            DocumentBalance(
                invoice_id=pk,
                organisation_id=row["organisation_id"],
                customer_id=row["customer_id"],
                currency=row["currency"],
                is_credit_note=row["type_code"] == DocumentType.CREDIT_NOTE,
                issue_date=row["issue_date"],
                due_date=row["due_date"],
                amount_due=row["amount_due"],
                paid=_amount(row["paid_amount"]),
                credited=_amount(row["credited_amount"]),
                refunded=_amount(row["refunded_amount"]),
                balance=_amount(row["balance_amount"]),
                last_paid_on=last_paid.get(pk),
                last_moved=max(date for date in dates if date is not None),
                # Written by ``_write_expected_delays`` once the customer's habit is known.
                expected_delay=0,
            )
        )
    DocumentBalance.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["invoice"], update_fields=list(DOCUMENT_FIELDS)
    )
    # An issued document never changes its currency or due date, so the rows' keys are those it had before.
    _write_due_dates({(row.organisation_id, row.currency, row.due_date) for row in rows})
    return {(row.customer_id, row.currency) for row in rows}


def _write_due_dates(keys: set[tuple[int, str, datetime.date | None]]) -> None:
    """Rewrite the ``OpenDueDate`` rows of these (organisation id, currency, due date) from the stored balances."""
    dates_of: dict[tuple[int, str], set[datetime.date | None]] = {}
    for organisation, currency, due_date in keys:
        dates_of.setdefault((organisation, currency), set()).add(due_date)
    for (organisation, currency), dates in dates_of.items():
        selected = Q(due_date__in=[date for date in dates if date is not None])
        if None in dates:
            selected |= Q(due_date__isnull=True)
        OpenDueDate.objects.filter(selected, organisation_id=organisation, currency=currency).delete()
        scope = DocumentBalance.objects.filter(selected, organisation_id=organisation, currency=currency)
        OpenDueDate.objects.bulk_create(_due_date_rows(scope))


def _due_date_rows(balances: Any) -> list[OpenDueDate]:
    """Return the ``OpenDueDate`` rows adding up the open invoices among ``balances``."""
    amount = DecimalField(max_digits=14, decimal_places=2)
    totals = (
        balances.filter(is_credit_note=False)
        .exclude(balance=0)
        .order_by()
        .values("organisation_id", "currency", "due_date")
        .annotate(
            open=Sum(Case(When(balance__gt=0, then=F("balance")), default=Value(ZERO), output_field=amount)),
            owed=Sum(Case(When(balance__lt=0, then=-F("balance")), default=Value(ZERO), output_field=amount)),
            count=Count("pk", filter=Q(balance__gt=0)),
        )
    )
    return [
        OpenDueDate(
            organisation_id=row["organisation_id"],
            currency=row["currency"],
            due_date=row["due_date"],
            open_amount=_amount(row["open"]),
            owed_amount=_amount(row["owed"]),
            open_count=row["count"],
        )
        for row in totals
    ]


def payment_habits(scope: Q) -> dict[tuple[int, str], tuple[int, int]]:
    """Return, per (customer id, currency) of the stored balances ``scope`` selects, how they paid lately.

    The habit reads the customer's last ``HABIT_INVOICES`` invoices paid in
    full. A credit note settling part of one leaves it out: its last payment
    is not when the customer finished paying what they owed. The value is how
    many there are, and their days from due date to last payment, added up.
    A customer who never paid an invoice in full gets no entry: (0, 0).
    """
    latest_first = Window(
        RowNumber(),
        partition_by=[F("customer_id"), F("currency")],
        order_by=[F("last_paid_on").desc(), F("invoice_id").desc()],
    )
    settled = (
        DocumentBalance.objects.filter(
            scope, paid=F("amount_due"), amount_due__gt=0, is_credit_note=False, last_paid_on__isnull=False
        )
        .annotate(rank=latest_first)
        .filter(rank__lte=HABIT_INVOICES)
        .values_list("customer_id", "currency", "due_date", "last_paid_on")
    )
    habits: dict[tuple[int, str], tuple[int, int]] = {}
    for customer, currency, due_date, paid_on in settled:
        count, days = habits.get((customer, currency), (0, 0))
        late = (paid_on - due_date).days if due_date else 0
        habits[customer, currency] = (count + 1, days + late)
    return habits


def _amount(value: Any) -> Decimal:
    # SQLite returns sums as floats: their shortest repr is exact to the cent for sums of amounts.
    if value is None:
        return ZERO
    if isinstance(value, float):
        value = Decimal(repr(value))
    return quantize(Decimal(value), 2)


def refresh_accounts(customers: Iterable[tuple[int, str]]) -> None:
    """Rewrite the account balance of each (customer id, currency) from its documents and receipts."""
    pairs = set(customers)
    if not pairs:
        return
    customer_ids = {customer for customer, _currency in pairs}
    balances = {pair: ZERO for pair in pairs}
    organisations: dict[int, int] = {}
    for (customer, currency), organisation, amount in _document_totals(Q(customer_id__in=customer_ids)):
        if (customer, currency) in balances:
            balances[customer, currency] += amount
            organisations[customer] = organisation
    for (customer, currency), organisation, amount in _receipt_totals(Q(customer_id__in=customer_ids)):
        if (customer, currency) in balances:
            balances[customer, currency] += amount
            organisations[customer] = organisation
    from ardoise.customers.models import Customer

    missing = customer_ids - set(organisations)
    organisations.update(Customer.objects.filter(pk__in=missing).values_list("pk", "organisation_id"))
    months = _month_rows(Q(customer_id__in=customer_ids))
    habits = payment_habits(Q(customer_id__in=customer_ids))
    _write_accounts(balances, organisations, habits, _first_months(months))
    _write_expected_delays(pairs, habits)
    CustomerMonth.objects.filter(customer_id__in=customer_ids).delete()
    CustomerMonth.objects.bulk_create(months, batch_size=BATCH)


def _document_totals(scope: Q) -> Iterable[tuple[tuple[int, str], int, Decimal]]:
    signed = Case(
        When(type_code=DocumentType.CREDIT_NOTE, then=-F("amount_due")),
        default=F("amount_due"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = (
        Invoice.objects.filter(scope, status=InvoiceStatus.ISSUED)
        .order_by()
        .values("customer_id", "currency", "organisation_id")
        .annotate(total=Sum(signed))
    )
    for row in rows:
        yield (row["customer_id"], row["currency"]), row["organisation_id"], _amount(row["total"])


def _receipt_totals(scope: Q) -> Iterable[tuple[tuple[int, str], int, Decimal]]:
    received = Q(kind=ReceiptKind.RECEIVED)
    rows = (
        Receipt.objects.filter(scope)
        .order_by()
        .values("customer_id", "currency", "organisation_id")
        .annotate(received=Sum("amount", filter=received), refunded=Sum("amount", filter=~received))
    )
    for row in rows:
        yield (
            (row["customer_id"], row["currency"]),
            row["organisation_id"],
            _amount(row["refunded"]) - _amount(row["received"]),
        )


def _month_rows(scope: Q) -> list[CustomerMonth]:
    """Return the ``CustomerMonth`` rows of the documents and receipts ``scope`` selects.

    Each customer and currency gets one row for every month from their first
    movement to their last, a month without movement included, so that the
    balance at the end of any month in between is found in one row.
    """
    signed = Case(
        When(type_code=DocumentType.CREDIT_NOTE, then=-F("amount_due")),
        default=F("amount_due"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    key = ("organisation_id", "customer_id", "currency", "month")
    changes: dict[tuple[Any, ...], Decimal] = {}
    documents = (
        Invoice.objects.filter(scope, status=InvoiceStatus.ISSUED)
        .order_by()
        .annotate(month=TruncMonth("issue_date"))
        .values(*key)
        .annotate(total=Sum(signed))
    )
    for row in documents:
        pair = tuple(_month(row[name]) if name == "month" else row[name] for name in key)
        changes[pair] = changes.get(pair, ZERO) + _amount(row["total"])
    received = Q(kind=ReceiptKind.RECEIVED)
    money = (
        Receipt.objects.filter(scope)
        .order_by()
        .annotate(month=TruncMonth("date"))
        .values(*key)
        .annotate(received=Sum("amount", filter=received), refunded=Sum("amount", filter=~received))
    )
    for row in money:
        pair = tuple(_month(row[name]) if name == "month" else row[name] for name in key)
        changes[pair] = changes.get(pair, ZERO) - _amount(row["received"]) + _amount(row["refunded"])

    months_of: dict[tuple[int, int, str], dict[datetime.date, Decimal]] = {}
    for (organisation, customer, currency, month), change in changes.items():
        months_of.setdefault((organisation, customer, currency), {})[month] = change
    rows = []
    for (organisation, customer, currency), moved in months_of.items():
        month, last, closing = min(moved), max(moved), ZERO
        while month <= last:
            change = moved.get(month, ZERO)
            closing += change
            rows.append(
                CustomerMonth(
                    organisation_id=organisation,
                    customer_id=customer,
                    currency=currency,
                    month=month,
                    change=change,
                    closing=closing,
                )
            )
            month = add_months(month, 1)
    return rows


def _first_months(rows: list[CustomerMonth]) -> dict[tuple[int, str], datetime.date]:
    """Return the first month of each (customer id, currency) among ``rows``, which ``_month_rows`` lists in order."""
    first: dict[tuple[int, str], datetime.date] = {}
    for row in rows:
        first.setdefault((row.customer_id, row.currency), row.month)
    return first


def _month(value: Any) -> datetime.date:
    # TruncMonth gives a date on PostgreSQL and may give a datetime or text on SQLite.
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _write_accounts(
    balances: dict[tuple[int, str], Decimal],
    organisations: dict[int, int],
    habits: dict[tuple[int, str], tuple[int, int]],
    first_months: dict[tuple[int, str], datetime.date],
) -> None:
    rows = []
    for (customer, currency), balance in balances.items():
        settled_count, days_late_total = habits.get((customer, currency), (0, 0))
        rows.append(
            CustomerAccount(
                organisation_id=organisations[customer],
                customer_id=customer,
                currency=currency,
                balance=balance,
                settled_count=settled_count,
                days_late_total=days_late_total,
                first_month=first_months.get((customer, currency)),
            )
        )
    CustomerAccount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["customer", "currency"],
        update_fields=["balance", "settled_count", "days_late_total", "first_month"],
        batch_size=BATCH,
    )


def rebuild(organisation: Any) -> int:
    """Rewrite every derived row of the organisation from scratch; return how many documents."""
    with transaction.atomic():
        DocumentBalance.objects.filter(organisation=organisation).delete()
        OpenDueDate.objects.filter(organisation=organisation).delete()
        CustomerAccount.objects.filter(organisation=organisation).delete()
        ids = list(
            Invoice.objects.filter(organisation=organisation, status=InvoiceStatus.ISSUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Each batch rewrites the due dates of its documents, counting the batches before it.
        for start in range(0, len(ids), BATCH):
            _write_documents(ids[start : start + BATCH])
        balances: dict[tuple[int, str], Decimal] = {}
        organisations: dict[int, int] = {}
        scope = Q(organisation=organisation)
        for totals in (_document_totals(scope), _receipt_totals(scope)):
            for pair, organisation_id, amount in totals:
                balances[pair] = balances.get(pair, ZERO) + amount
                organisations[pair[0]] = organisation_id
        months = _month_rows(scope)
        habits = payment_habits(scope)
        _write_accounts(balances, organisations, habits, _first_months(months))
        _write_expected_delays(balances, habits)
        CustomerMonth.objects.filter(organisation=organisation).delete()
        CustomerMonth.objects.bulk_create(months, batch_size=BATCH)
    return len(ids)
