"""Fill a database with one organisation at scale: 5,000 customers, 100,000 documents, 300,000 payments.

The data goes straight to the database in bulk, without the services, so that
generation takes minutes rather than days, but it is what the services would
have written:

- issued invoices (and about 2 % credit notes) with 1 to 3 lines of 40
  products at 20, 10 and 5.5 % VAT. Their totals come from the money module
  of the editor (``draft_totals``). Numbers are gapless per year in one
  series, whose counters are set to the last number used. Then the report rows
  (``VatBreakdownRow``, ``RevenueRow``) that issuing writes, and the stored
  balances (``DocumentBalance``, ``CustomerAccount``) and the monthly totals
  (``reports.monthly``) rebuilt at the end;
- payments always through receipts: installments, overpayments left as
  customer credit, partly paid and overdue invoices, credit notes on unpaid
  invoices (cancelling or reducing them) and on paid ones (refunded or still
  to refund), and a few receipts reversed then paid again.

No balance goes below zero except through a credit note, as the services
guarantee. What is not written: the issued PDF and XML files, the JSON
snapshots and the integrity chain rows (``ardoise verify`` reports the
documents as unchained), and the audit log.

Issued lines are written before their invoice, in the same transaction: the
trigger that refuses lines on an issued invoice looks the invoice up, and
finds none yet. Identifiers are therefore chosen here, and the PostgreSQL
sequences reset at the end.

Used by ``bench_scale.py``; run alone to fill the database of the settings
(``DATABASE_URL`` or the SQLite file under ``ARDOISE_VAR_DIR``), after
``ardoise migrate``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale .venv/bin/python bench/scale_data.py
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

USERNAME = "bench"
PASSWORD = "bench-scale-password"
ORGANISATION_NAME = "Atelier à l'échelle SARL"
CENT = Decimal("0.01")
RATES = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"))
METHODS = ("virement", "virement", "virement", "cheque", "carte", "prelevement", "especes")
CHUNK = 2000
YEARS_OF_HISTORY = 3


@dataclass
class Doc:
    """One planned invoice or credit note."""

    date: datetime.date
    customer: int  # index into the customer list
    lines: list[tuple[int, Decimal, Decimal, Decimal]]  # (product index, quantity, unit price, VAT rate)
    credited: Doc | None = None
    id: int = 0
    number: str = ""
    due: Decimal = Decimal("0")
    total_without_vat: Decimal = Decimal("0")
    total_vat: Decimal = Decimal("0")
    figures: Any = None
    # Money movements, each (date, amount, method, receipt_extra, reversal_date or None), planned per document.
    payments: list[tuple[datetime.date, Decimal, str, Decimal, datetime.date | None]] = field(default_factory=list)
    credit_notes: list[Doc] = field(default_factory=list)


def split(amount: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split ``amount`` into ``parts`` positive amounts in cents that add up to it exactly."""
    cents = int(amount * 100)
    parts = max(1, min(parts, cents))
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, cents]
    return [Decimal(edges[i + 1] - edges[i]) / 100 for i in range(parts)]


def _state(roll: float, unpaid: float, partial: float) -> str:
    """Return the payment state drawn by ``roll``: below ``unpaid``, unpaid; below ``partial``, partly paid."""
    if roll < unpaid:
        return "unpaid"
    if roll < partial:
        return "partial"
    return "paid"


def day_between(start: datetime.date, end: datetime.date, rng: random.Random) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


class Plan:
    """Everything to write, decided up front in memory as plain objects, then written in chunks."""

    def __init__(self, invoices: int, payments: int, customers: int, today: datetime.date, seed: int) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.customer_count = customers
        self.invoice_target = invoices
        self.payment_target = payments
        self.docs: list[Doc] = []

    def build(self, products: list[Any]) -> None:
        rng = self.rng
        first_day = self.today - datetime.timedelta(days=365 * YEARS_OF_HISTORY)
        credit_count = self.invoice_target // 50
        invoice_count = self.invoice_target - credit_count
        # A few customers buy a lot, most buy a little (the largest gets about 1.3 % of the invoices).
        weights = [1.0 / (1 + index) ** 0.6 for index in range(self.customer_count)]
        cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight
            cumulative.append(running)
        span = (self.today - first_day).days
        invoices = []
        for _ in range(invoice_count):
            date = first_day + datetime.timedelta(days=rng.randint(0, span))
            customer = bisect.bisect_left(cumulative, rng.random() * running)
            lines = []
            for _line in range(rng.choice((1, 1, 2, 2, 3))):
                product = rng.randrange(len(products))
                quantity = Decimal(rng.choice((1, 1, 2, 3, 5, 8, 10)))
                lines.append((product, quantity, products[product].unit_price, products[product].vat_rate))
            invoices.append(Doc(date=date, customer=customer, lines=lines))
        for doc in invoices:
            self._compute(doc)

        # Credit notes: on unpaid invoices (cancelling or reducing them) and on paid ones (refund).
        self._plan_money(invoices, credit_count)
        docs = invoices + [note for doc in invoices for note in doc.credit_notes]
        docs.sort(key=lambda doc: (doc.date, doc.credited is not None))
        counters: dict[int, int] = {}
        for index, doc in enumerate(docs, start=1):
            doc.id = index
            counters[doc.date.year] = counters.get(doc.date.year, 0) + 1
            doc.number = "F-%d-%06d" % (doc.date.year, counters[doc.date.year])
        self.docs = docs
        self.counters = counters

    def _compute(self, doc: Doc) -> None:
        from ardoise.invoicing.documents import draft_totals
        from ardoise.invoicing.models import Invoice, InvoiceLine
        from ardoise.reports.breakdowns import DocumentFigures

        invoice = Invoice(currency="EUR")
        lines = [
            InvoiceLine(quantity=quantity, unit_price=price, vat_rate=rate, vat_category="S", unit="C62")
            for _product, quantity, price, rate in doc.lines
        ]
        totals = draft_totals(invoice, lines)
        doc.due = totals.due
        doc.total_without_vat = totals.tax_exclusive
        doc.total_vat = totals.tax_total
        doc.figures = DocumentFigures(totals, tuple(0 for _ in doc.lines), None)

    def _plan_money(self, invoices: list[Doc], credit_count: int) -> None:
        rng, today = self.rng, self.today
        states = []
        for doc in invoices:
            due_date = doc.date + datetime.timedelta(days=30)
            age = (today - due_date).days
            roll = rng.random()
            # Shares of unpaid and partly paid invoices: many before the due date, few long after it.
            if age < 0:
                states.append(_state(roll, 0.6, 0.75))
            elif age < 90:
                states.append(_state(roll, 0.12, 0.22))
            else:
                states.append(_state(roll, 0.03, 0.06))

        # Credit notes on invoices older than 60 days: a third cancel an unpaid invoice, a third reduce
        # one that is then paid, a third come after payment in full (half refunded).
        old = [index for index, doc in enumerate(invoices) if (today - doc.date).days > 60]
        for number, index in enumerate(rng.sample(old, credit_count)):
            doc = invoices[index]
            kind = number % 3
            note_date = day_between(doc.date + datetime.timedelta(days=1), doc.date + datetime.timedelta(days=40), rng)
            if kind == 0:
                note = self._credit_note(doc, note_date, doc.lines)
                states[index] = "cancelled"
            else:
                # Half the price of one unit of the first line: always less than the invoice.
                product, _quantity, price, rate = doc.lines[0]
                note = self._credit_note(doc, note_date, [(product, Decimal(1), (price / 2).quantize(CENT), rate)])
                states[index] = "reduced" if kind == 1 else "refund"
            doc.credit_notes.append(note)

        # Payments per invoice: installments for paid ones, adjusted so that the total is exact.
        counts = []
        for state in states:
            if state in ("paid", "reduced", "refund"):
                counts.append(rng.choice((1, 2, 3, 3, 4, 4, 5, 6)))
            elif state == "partial":
                counts.append(rng.choice((1, 1, 2)))
            else:
                counts.append(0)
        paid_indexes = [i for i, state in enumerate(states) if state in ("paid", "reduced", "refund")]
        reversed_invoices = set(rng.sample(paid_indexes, len(invoices) // 300))
        refunded = [i for i, state in enumerate(states) if state == "refund"][::2]
        fixed = 2 * len(reversed_invoices) + len(refunded)
        excess = sum(counts) + fixed - self.payment_target
        while excess:
            index = rng.choice(paid_indexes)
            step = 1 if excess < 0 else -1
            if 1 <= counts[index] + step <= 8:
                counts[index] += step
                excess += step
        refunded_set = set(refunded)

        for index, doc in enumerate(invoices):
            state, count = states[index], counts[index]
            if not count:
                continue
            owed = doc.due - sum((note.due for note in doc.credit_notes if state == "reduced"), Decimal(0))
            if state == "partial":
                owed = (owed * Decimal(rng.choice((25, 40, 50, 70))) / 100).quantize(CENT)
            start = doc.date
            if state == "reduced":
                start = doc.credit_notes[0].date
            late = rng.choice((-20, -10, 0, 0, 5, 15, 30, 60))
            last = min(today, max(start, doc.date + datetime.timedelta(days=30 + late)))
            if state == "refund":
                last = min(last, doc.credit_notes[0].date)
            dates = sorted(day_between(start, last, rng) for _ in range(count))
            amounts = split(owed, count, rng)
            for position, (date, amount) in enumerate(zip(dates, amounts, strict=True)):
                extra = Decimal(rng.randint(1, 5000)) / 100 if rng.random() < 0.01 else Decimal(0)
                reversal = None
                if position == 0 and index in reversed_invoices:
                    reversal = day_between(date, min(today, date + datetime.timedelta(days=10)), rng)
                doc.payments.append((date, amount, rng.choice(METHODS), extra, reversal))
            if state == "refund" and index in refunded_set:
                note = doc.credit_notes[0]
                date = day_between(note.date, min(today, note.date + datetime.timedelta(days=20)), rng)
                note.payments.append((date, note.due, "virement", Decimal(0), None))

    def _credit_note(self, doc: Doc, date: datetime.date, lines: list[Any]) -> Doc:
        note = Doc(date=min(date, self.today), customer=doc.customer, lines=list(lines), credited=doc)
        self._compute(note)
        return note


def generate(
    invoices: int = 100_000,
    payments: int = 300_000,
    customers: int = 5_000,
    *,
    seed: int = 6,
    today: datetime.date | None = None,
    verbose: bool = True,
) -> Any:
    """Create the organisation, its user and all its data; return the organisation.

    Django must be set up and the database migrated. The database may hold
    other organisations, but no other process may write to it meanwhile.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from ardoise.accounts.models import Membership, Organisation, Role
    from ardoise.catalogue.models import Product
    from ardoise.customers.models import Customer
    from ardoise.invoicing.models import Invoice, InvoiceLine, NumberingSeries, SeriesCounter
    from ardoise.payments.models import Payment, Receipt

    started = time.perf_counter()
    today = today or timezone.localdate()

    def say(message: str) -> None:
        if verbose:
            print("[%6.1f s] %s" % (time.perf_counter() - started, message), flush=True)

    organisation = Organisation.objects.create(
        name=ORGANISATION_NAME,
        legal_form="SARL",
        share_capital=Decimal("10000.00"),
        address_line1="12 rue des Lilas",
        postcode="69003",
        city="Lyon",
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        rcs_city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        email="factures@echelle.test",
    )
    user_model = get_user_model()
    user = user_model.objects.filter(username=USERNAME).first()
    if user is None:
        user = user_model.objects.create_user(USERNAME, "bench@echelle.test", PASSWORD)
    Membership.objects.get_or_create(user=user, organisation=organisation, defaults={"role": Role.OWNER})
    series = NumberingSeries.objects.create(
        organisation=organisation, name="Factures", pattern="F-{YYYY}-{NNNNNN}", is_default=True
    )
    products = Product.objects.bulk_create(
        Product(
            organisation=organisation,
            name="Article %02d" % (index + 1),
            unit_price=Decimal(rng_price) / 4,
            vat_rate=RATES[index % 3],
        )
        for index, rng_price in enumerate(random.Random(seed).sample(range(40, 8000), 40))
    )
    products = list(Product.objects.filter(organisation=organisation).order_by("id"))
    customer_rows = Customer.objects.bulk_create(
        (
            Customer(
                organisation=organisation,
                name="%s %s %04d" % (PREFIXES[index % len(PREFIXES)], SURNAMES[index % len(SURNAMES)], index + 1),
                email="compta%04d@client.test" % (index + 1),
                address_line1="%d rue de la Paix" % (index % 200 + 1),
                postcode="75002",
                city="Paris",
            )
            for index in range(customers)
        ),
        batch_size=CHUNK,
    )
    customer_ids = list(Customer.objects.filter(organisation=organisation).order_by("id").values_list("id", flat=True))
    assert len(customer_ids) == len(customer_rows)
    say("organisation, %d customers and %d products created" % (customers, len(products)))

    plan = Plan(invoices, payments, customers, today, seed)
    plan.build(products)
    say("plan of %d documents computed" % len(plan.docs))

    ids = _Ids(Invoice, InvoiceLine, Receipt, Payment)
    for doc in plan.docs:
        doc.id += ids.invoice
    for year, value in plan.counters.items():
        SeriesCounter.objects.create(series=series, period=str(year), last_value=value)

    written_payments = 0
    for chunk in _chunks(plan.docs, CHUNK):
        with transaction.atomic():
            written_payments += _write_chunk(chunk, organisation, customer_ids, products, user, ids)
    say("%d documents and %d payments written" % (len(plan.docs), written_payments))

    # Bulk inserts send no signal: the derived balances are computed once, as ``ardoise report refresh`` does.
    from ardoise.reports import monthly
    from ardoise.reports.stored import rebuild

    rebuild(organisation)
    monthly.rebuild(organisation)
    say("stored balances and monthly totals computed")

    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        from ardoise.reports.models import RevenueRow, VatBreakdownRow

        models = [Invoice, InvoiceLine, Receipt, Payment, VatBreakdownRow, RevenueRow]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
            # What autovacuum does to a live database after the bulk inserts: statistics, and the
            # visibility map that lets PostgreSQL read covering indexes without the table.
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")
            else:
                cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    say("done")
    return organisation


PREFIXES = ("Boulangerie", "Cabinet", "Garage", "Librairie", "Atelier", "Pharmacie", "Studio", "Ferme", "Hôtel")
SURNAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau")


class _Ids:
    """The next free identifier of each table whose rows the generator numbers itself."""

    def __init__(self, *models: Any) -> None:
        from django.db.models import Max

        invoice, line, receipt, payment = ((model.objects.aggregate(top=Max("id"))["top"] or 0) for model in models)
        self.invoice, self.line, self.receipt, self.payment = invoice, line + 1, receipt + 1, payment + 1


def _chunks(docs: list[Doc], size: int) -> Iterator[list[Doc]]:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


def _write_chunk(
    chunk: list[Doc], organisation: Any, customer_ids: list[int], products: list[Any], user: Any, ids: _Ids
) -> int:
    from ardoise.invoicing.models import DocumentType, Invoice, InvoiceLine, InvoiceStatus
    from ardoise.payments.models import Payment, Receipt, ReceiptKind
    from ardoise.reports.breakdowns import DocumentFigures, revenue_rows_of, vat_rows_of
    from ardoise.reports.models import RevenueRow, VatBreakdownRow

    invoices, lines, vat_rows, revenue_rows, receipts, payments = [], [], [], [], [], []
    for doc in chunk:
        is_note = doc.credited is not None
        invoice = Invoice(
            id=doc.id,
            organisation=organisation,
            customer_id=customer_ids[doc.customer],
            status=InvoiceStatus.ISSUED,
            type_code=DocumentType.CREDIT_NOTE if is_note else DocumentType.INVOICE,
            credited_invoice_id=doc.credited.id if doc.credited else None,
            number=doc.number,
            currency="EUR",
            issue_date=doc.date,
            due_date=None if is_note else doc.date + datetime.timedelta(days=30),
            total_without_vat=doc.total_without_vat,
            total_vat=doc.total_vat,
            total_with_vat=doc.due,
            amount_due=doc.due,
            issued_at=datetime.datetime.combine(doc.date, datetime.time(9), tzinfo=datetime.UTC),
            issued_by=user,
        )
        invoices.append(invoice)
        for position, (product, quantity, price, rate) in enumerate(doc.lines):
            lines.append(
                InvoiceLine(
                    id=ids.line,
                    invoice_id=doc.id,
                    position=position,
                    product=products[product],
                    name=products[product].name,
                    quantity=quantity,
                    unit_price=price,
                    vat_rate=rate,
                    vat_category="S",
                )
            )
            ids.line += 1
        figures = DocumentFigures(doc.figures.totals, tuple(products[p].pk for p, *_ in doc.lines), None)
        vat_rows += vat_rows_of(invoice, figures)
        revenue_rows += revenue_rows_of(invoice, figures)

        kind = ReceiptKind.REFUND if is_note else ReceiptKind.RECEIVED
        customer_id = customer_ids[doc.customer]
        for date, amount, method, extra, reversal_date in doc.payments:
            receipt = Receipt(
                id=ids.receipt,
                organisation=organisation,
                customer_id=customer_id,
                kind=kind,
                date=date,
                amount=amount + extra,
                method=method,
                reference=doc.number,
                created_by=user,
            )
            ids.receipt += 1
            payment = Payment(
                id=ids.payment,
                organisation=organisation,
                invoice_id=doc.id,
                receipt_id=receipt.id,
                date=date,
                amount=amount,
                method=method,
                reference=doc.number,
                created_by=user,
            )
            ids.payment += 1
            receipts.append(receipt)
            payments.append(payment)
            if reversal_date is None:
                continue
            # Recorded by mistake: the receipt is reversed, then the money is received again.
            reversal = Receipt(
                id=ids.receipt,
                organisation=organisation,
                customer_id=customer_id,
                kind=kind,
                date=reversal_date,
                amount=-(amount + extra),
                method=method,
                reference="Annulation",
                reverses_id=receipt.id,
                created_by=user,
            )
            again = Receipt(
                id=ids.receipt + 1,
                organisation=organisation,
                customer_id=customer_id,
                kind=kind,
                date=reversal_date,
                amount=amount,
                method=method,
                reference=doc.number,
                created_by=user,
            )
            ids.receipt += 2
            payments += [
                Payment(
                    id=ids.payment,
                    organisation=organisation,
                    invoice_id=doc.id,
                    receipt_id=reversal.id,
                    date=reversal_date,
                    amount=-amount,
                    method=method,
                    reference="Annulation",
                    reverses_id=payment.id,
                    created_by=user,
                ),
                Payment(
                    id=ids.payment + 1,
                    organisation=organisation,
                    invoice_id=doc.id,
                    receipt_id=again.id,
                    date=reversal_date,
                    amount=amount,
                    method=method,
                    reference=doc.number,
                    created_by=user,
                ),
            ]
            ids.payment += 2
            receipts += [reversal, again]

    # Lines first: the trigger that protects issued invoices finds no invoice yet (see the module docstring).
    InvoiceLine.objects.bulk_create(lines, batch_size=CHUNK)
    Invoice.objects.bulk_create(invoices, batch_size=CHUNK)
    VatBreakdownRow.objects.bulk_create(vat_rows, batch_size=CHUNK)
    RevenueRow.objects.bulk_create(revenue_rows, batch_size=CHUNK)
    # Reversals point to earlier receipts and payments: insert in identifier order.
    Receipt.objects.bulk_create(sorted(receipts, key=lambda row: row.id), batch_size=CHUNK)
    Payment.objects.bulk_create(sorted(payments, key=lambda row: row.id), batch_size=CHUNK)
    return len(payments)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
    os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000, help="documents, credit notes included")
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--migrate", action="store_true", help="run the migrations first")
    args = parser.parse_args()
    setup_django()
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    generate(args.invoices, args.payments, args.customers, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
