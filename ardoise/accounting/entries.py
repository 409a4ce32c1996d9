"""Turn issued documents and receipts into balanced accounting entries, with matching letters.

A sales entry per issued invoice or credit note (journal « Ventes »): the
customer's auxiliary account (411) for the total including VAT, a revenue
account per line kind, product or VAT rate for the total excluding VAT, and
the collected VAT account per rate. A bank entry per receipt (journal
« Banque »): the bank account, the bank fees, and the customer account.

Amounts are in euros, signed (debit positive, credit negative), and converted
the way the VAT report converts them, so the entries and the reports agree
to the cent. The 411 lines of documents and receipts that settle each other
and add up to zero within the period get the same matching letter.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounting.models import AccountingSettings, CustomerAccount, ProductAccount, VatRateAccounts
from ardoise.core.document import InvoiceDocument
from ardoise.core.formats import format_rate
from ardoise.core.money import VatKey, quantize
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.reports.breakdowns import document_figures, in_euros

ZERO = Decimal("0.00")
EURO = "EUR"


class AccountingError(Exception):
    """A document that cannot become an entry, with a French message that names it and the fix."""


@dataclass(frozen=True)
class EntryLine:
    """One line of an entry: an account and a signed amount in euros (positive for a debit)."""

    account: str
    account_label: str
    amount: Decimal
    auxiliary: str = ""
    auxiliary_label: str = ""
    # The amount in the document's currency, when it is not the euro (Montantdevise, Idevise).
    currency_amount: Decimal | None = None
    currency: str = ""
    letter: str = ""
    letter_date: datetime.date | None = None

    @property
    def debit(self) -> Decimal:
        return self.amount if self.amount > 0 else ZERO

    @property
    def credit(self) -> Decimal:
        return -self.amount if self.amount < 0 else ZERO


@dataclass
class Entry:
    """A balanced accounting entry: one document or one receipt."""

    journal: str
    journal_label: str
    date: datetime.date
    piece_ref: str
    label: str
    validated_on: datetime.date
    lines: list[EntryLine]
    # ("invoice", pk) or ("receipt", pk): what the matching letters group.
    source: tuple[str, int]
    number: str = ""

    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass(frozen=True)
class FiscalYear:
    start: datetime.date
    end: datetime.date

    @classmethod
    def closing_in(cls, year: int, end_month: int) -> FiscalYear:
        """Return the twelve-month fiscal year that closes at the end of ``end_month`` of ``year``."""
        end = _month_end(year, end_month)
        start = _month_end(year - 1, end_month) + datetime.timedelta(days=1)
        return cls(start, end)


def _month_end(year: int, month: int) -> datetime.date:
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def settings_of(organisation: object) -> AccountingSettings:
    """Return the organisation's accounting settings, created with the PCG defaults on first use."""
    accounting, _created = AccountingSettings.objects.get_or_create(organisation=organisation)
    return accounting


@dataclass
class _Chart:
    """The accounts of one organisation, resolved once for a whole export."""

    settings: AccountingSettings
    per_rate: dict[Decimal, VatRateAccounts]
    per_product: dict[int, str]
    per_customer: dict[int, str]

    @classmethod
    def load(cls, organisation: object) -> _Chart:
        return cls(
            settings=settings_of(organisation),
            per_rate={
                rule.rate.normalize() + ZERO: rule for rule in VatRateAccounts.objects.filter(organisation=organisation)
            },
            per_product=dict(
                ProductAccount.objects.filter(product__organisation=organisation).values_list(
                    "product_id", "revenue_account"
                )
            ),
            per_customer=dict(
                CustomerAccount.objects.filter(customer__organisation=organisation).values_list("customer_id", "code")
            ),
        )

    def auxiliary(self, customer: Customer) -> str:
        return self.per_customer.get(customer.pk) or default_auxiliary(customer)

    def revenue(self, rate: Decimal, is_service: bool, product_id: int | None) -> tuple[str, str]:
        if product_id is not None and product_id in self.per_product:
            return self.per_product[product_id], _("Ventes")
        rule = self.per_rate.get(rate.normalize() + ZERO)
        if is_service:
            account = rule.service_revenue_account if rule and rule.service_revenue_account else ""
            return account or self.settings.service_revenue_account, _("Prestations de services")
        account = rule.goods_revenue_account if rule and rule.goods_revenue_account else ""
        return account or self.settings.goods_revenue_account, _("Ventes de marchandises")

    def vat(self, rate: Decimal) -> tuple[str, str]:
        rule = self.per_rate.get(rate.normalize() + ZERO)
        account = rule.vat_account if rule and rule.vat_account else self.settings.vat_account
        return account, _("TVA collectée %(rate)s") % {"rate": format_rate(rate)}


def default_auxiliary(customer: Customer) -> str:
    """Return the auxiliary account code a customer has unless one is set: ``C`` and its number."""
    return "C%05d" % customer.pk


def build_entries(organisation: object, start: datetime.date, end: datetime.date) -> list[Entry]:
    """Return the entries of the documents issued and the receipts dated from ``start`` to ``end``.

    Entries come in date order, the sales journal before the bank journal on
    the same day, numbered per journal. Raises ``AccountingError`` for a
    document in another currency without an exchange rate.
    """
    chart = _Chart.load(organisation)
    entries = [*_sales_entries(organisation, chart, start, end), *_bank_entries(organisation, chart, start, end)]
    journal_rank = {chart.settings.sales_journal: 0, chart.settings.bank_journal: 1}
    entries.sort(key=lambda entry: (entry.date, journal_rank.get(entry.journal, 2), entry.source))
    counters: dict[str, int] = defaultdict(int)
    for entry in entries:
        counters[entry.journal] += 1
        entry.number = "%s%06d" % (entry.journal, counters[entry.journal])
    _letter(organisation, entries, chart.settings.customer_account)
    return entries


# Sales journal


def _sales_entries(organisation: object, chart: _Chart, start: datetime.date, end: datetime.date) -> Iterable[Entry]:
    documents = (
        Invoice.objects.filter(
            organisation=organisation, status=InvoiceStatus.ISSUED, issue_date__gte=start, issue_date__lte=end
        )
        .select_related("customer")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id")))
        .order_by("issue_date", "pk")
    )
    for document in documents.iterator(chunk_size=500):
        entry = _sales_entry(document, chart)
        if entry.lines:
            yield entry


def _sales_entry(document: Invoice, chart: _Chart) -> Entry:
    rate = _euro_rate(document)
    if rate is None:
        raise AccountingError(
            _(
                "Le document %(number)s est en %(currency)s sans taux de change : ses montants en euros sont "
                "inconnus. Demandez à votre comptable de l'enregistrer à la main, au taux du jour de la facture."
            )
            % {"number": document.number, "currency": document.currency}
        )
    figures = document_figures(document)
    totals = figures.totals
    keyed_lines = _line_keys(document)
    sign = -1 if document.is_credit_note else 1

    revenue: list[tuple[str, str, Decimal]] = []
    vat: list[tuple[str, str, Decimal]] = []
    for row in totals.breakdown:
        amounts_per_account: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for (key, is_service), product, amount in zip(
            keyed_lines, figures.line_products, totals.line_amounts, strict=False
        ):
            if key == row.key:
                amounts_per_account[chart.revenue(key.rate, is_service, product)] += amount
        if not amounts_per_account:
            amounts_per_account[chart.revenue(row.key.rate, True, None)] = ZERO
        for (account, label), amount in _allocate(row.taxable_amount, amounts_per_account):
            revenue.append((account, label, amount))
        if row.tax_amount:
            vat.append((*chart.vat(row.key.rate), row.tax_amount))

    revenue_eur = in_euros([amount for *_names, amount in revenue], totals.tax_exclusive, rate)
    vat_total_eur = figures.vat_total_eur
    if vat_total_eur is None:
        vat_total_eur = quantize(totals.tax_total * rate, 2)
    vat_eur = in_euros([amount for *_names, amount in vat], totals.tax_total, rate, target=vat_total_eur)

    foreign = document.currency.upper() != EURO
    counterparts: list[EntryLine] = []
    for (account, label, amount), amount_eur in [
        *zip(revenue, revenue_eur, strict=True),
        *zip(vat, vat_eur, strict=True),
    ]:
        counterparts.append(_line(account, label, -sign * amount_eur, -sign * amount, document.currency, foreign))
    if totals.rounding:
        account = chart.settings.rounding_gain_account if totals.rounding > 0 else chart.settings.rounding_loss_account
        counterparts.append(
            _line(
                account,
                _("Écart d'arrondi"),
                -sign * quantize(totals.rounding * rate, 2),
                -sign * totals.rounding,
                document.currency,
                foreign,
            )
        )
    customer_total = -sum((line.amount for line in counterparts), ZERO)
    customer_line = EntryLine(
        account=chart.settings.customer_account,
        account_label=_("Clients"),
        amount=customer_total,
        auxiliary=chart.auxiliary(document.customer),
        auxiliary_label=document.customer.name,
        currency_amount=sign * (totals.tax_inclusive + totals.rounding) if foreign else None,
        currency=document.currency if foreign else "",
    )
    kind = _("Avoir") if document.is_credit_note else _("Facture")
    lines = [line for line in [customer_line, *counterparts] if line.amount or line.currency_amount]
    return Entry(
        journal=chart.settings.sales_journal,
        journal_label=chart.settings.sales_journal_label,
        date=document.issue_date,
        piece_ref=document.number,
        label="%s %s %s" % (kind, document.number, document.customer.name),
        validated_on=_local_date(document.issued_at) or document.issue_date,
        lines=lines,
        source=("invoice", document.pk),
    )


def _line_keys(document: Invoice) -> list[tuple[VatKey, bool]]:
    """Return the VAT group and kind (service or goods) of each line, from the snapshot when there is one."""
    if document.document:
        snapshot = InvoiceDocument.from_json(document.document)
        return [(VatKey(line.vat_category, line.vat_rate), line.is_service) for line in snapshot.lines]
    return [(VatKey(line.vat_category, line.vat_rate), line.is_service) for line in document.lines.all()]


def _allocate(total: Decimal, parts: dict[tuple[str, str], Decimal]) -> list[tuple[tuple[str, str], Decimal]]:
    """Share ``total`` among accounts in proportion to their line amounts, to the cent.

    The document-level allowances and charges of a VAT group belong to no line,
    so they are spread over the group's accounts. The cents that rounding
    leaves over go to the largest part.
    """
    items = list(parts.items())
    weight = sum((amount for _account, amount in items), ZERO)
    if not weight:
        return [(items[0][0], total), *((account, ZERO) for account, _amount in items[1:])]
    if weight == total:
        return items
    shares = [(account, quantize(total * amount / weight, 2)) for account, amount in items]
    largest = max(range(len(shares)), key=lambda index: abs(shares[index][1]))
    difference = total - sum((amount for _account, amount in shares), ZERO)
    account, amount = shares[largest]
    shares[largest] = (account, amount + difference)
    return shares


# Bank journal


def _bank_entries(organisation: object, chart: _Chart, start: datetime.date, end: datetime.date) -> Iterable[Entry]:
    receipts = (
        Receipt.objects.filter(organisation=organisation, date__gte=start, date__lte=end)
        .select_related("customer", "reverses")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.select_related("invoice")))
        .order_by("date", "pk")
    )
    for receipt in receipts.iterator(chunk_size=500):
        yield _bank_entry(receipt, chart)


def _bank_entry(receipt: Receipt, chart: _Chart) -> Entry:
    original = receipt.reverses or receipt
    sign = -1 if receipt.is_reversal else 1
    rate = _receipt_rate(receipt)
    foreign = receipt.currency.upper() != EURO
    amount = original.amount
    fees = original.bank_fees
    settings = chart.settings
    if original.kind == ReceiptKind.REFUND:
        movements = [(settings.customer_account, amount), (settings.bank_account, -amount - fees)]
        kind = _("Remboursement")
    else:
        movements = [(settings.bank_account, amount - fees), (settings.customer_account, -amount)]
        kind = _("Encaissement")
    if fees:
        movements.insert(1, (settings.bank_fees_account, fees))
    labels = {
        settings.bank_account: _("Banque"),
        settings.bank_fees_account: _("Frais bancaires"),
        settings.customer_account: _("Clients"),
    }
    lines = []
    for account, value in movements:
        is_customer = account == settings.customer_account
        lines.append(
            EntryLine(
                account=account,
                account_label=labels[account],
                amount=sign * quantize(value * rate, 2),
                auxiliary=chart.auxiliary(receipt.customer) if is_customer else "",
                auxiliary_label=receipt.customer.name if is_customer else "",
                currency_amount=sign * value if foreign else None,
                currency=receipt.currency if foreign else "",
            )
        )
    # Converting each line alone may lose a cent: the bank line takes the difference.
    bank_index = next(index for index, line in enumerate(lines) if line.account == settings.bank_account)
    difference = -sum((line.amount for line in lines), ZERO)
    if difference:
        bank = lines[bank_index]
        lines[bank_index] = EntryLine(**{**bank.__dict__, "amount": bank.amount + difference})

    if receipt.is_reversal:
        kind = _("Annulation %(kind)s") % {"kind": kind.lower()}
    label = " ".join(part for part in [kind, receipt.customer.name, original.reference] if part)
    return Entry(
        journal=settings.bank_journal,
        journal_label=settings.bank_journal_label,
        date=receipt.date,
        piece_ref="ENC-%d" % receipt.pk,
        label=label,
        validated_on=_local_date(receipt.created_at) or receipt.date,
        lines=lines,
        source=("receipt", receipt.pk),
    )


def _receipt_rate(receipt: Receipt) -> Decimal:
    """Return the euros of one unit of the receipt's currency, taken from the documents it settles."""
    if receipt.currency.upper() == EURO:
        return Decimal(1)
    original = receipt.reverses or receipt
    for payment in original.payments.all():
        if payment.invoice.exchange_rate:
            # NOTE: the receipt is converted at the rate of the document it settles, so no exchange
            # gain or loss is booked. The accountant records it when the bank's rate differed.
            return payment.invoice.exchange_rate
    raise AccountingError(
        _(
            "L'encaissement du %(date)s de %(customer)s est en %(currency)s et ne règle aucune facture ayant un taux "
            "de change : son montant en euros est inconnu. Enregistrez-le en euros, au montant crédité par la banque."
        )
        % {"date": receipt.date.strftime("%d/%m/%Y"), "customer": receipt.customer.name, "currency": receipt.currency}
    )


# Matching letters


def _letter(organisation: object, entries: Sequence[Entry], customer_account: str) -> None:
    """Give the same letter to the customer lines of documents and receipts that settle each other.

    Documents and receipts are linked by payments, credit notes by the invoice
    they correct, reversals by the receipt they cancel. A group of linked
    entries whose customer lines add up to zero within the period is lettered,
    dated by its latest entry.
    """
    by_source = {entry.source: entry for entry in entries}
    parent: dict[tuple[str, int], tuple[str, int]] = {source: source for source in by_source}

    def find(node: tuple[str, int]) -> tuple[str, int]:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(first: tuple[str, int], second: tuple[str, int]) -> None:
        if first in parent and second in parent:
            parent[find(first)] = find(second)

    # The links are read by organisation and date rather than by lists of ids, which
    # SQLite limits in size. ``join`` ignores links to entries outside the period.
    first = min((entry.date for entry in entries), default=None)
    last = max((entry.date for entry in entries), default=None)
    if first is None:
        return
    receipts_in_period = {"organisation": organisation, "date__gte": first, "date__lte": last}
    payments = Payment.objects.filter(
        organisation=organisation, receipt__date__gte=first, receipt__date__lte=last
    ).values_list("invoice_id", "receipt_id")
    for invoice_id, receipt_id in payments:
        join(("invoice", invoice_id), ("receipt", receipt_id))
    credit_notes = Invoice.objects.filter(
        organisation=organisation, issue_date__gte=first, issue_date__lte=last, credited_invoice__isnull=False
    ).values_list("pk", "credited_invoice_id")
    for credit_note_id, invoice_id in credit_notes:
        join(("invoice", credit_note_id), ("invoice", invoice_id))
    reversals = Receipt.objects.filter(**receipts_in_period, reverses__isnull=False).values_list("pk", "reverses_id")
    for receipt_id, reversed_id in reversals:
        join(("receipt", receipt_id), ("receipt", reversed_id))

    groups: dict[tuple[str, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[find(entry.source)].append(entry)
    letters = _letter_codes()
    for members in sorted(groups.values(), key=lambda group: min(entry.number for entry in group)):
        customer_lines = [
            (entry, index)
            for entry in members
            for index, line in enumerate(entry.lines)
            if line.account == customer_account and line.auxiliary
        ]
        if len(customer_lines) < 2:
            continue
        if sum((entry.lines[index].amount for entry, index in customer_lines), ZERO) != 0:
            continue
        letter = next(letters)
        lettered_on = max(entry.date for entry in members)
        for entry, index in customer_lines:
            line = entry.lines[index]
            entry.lines[index] = EntryLine(**{**line.__dict__, "letter": letter, "letter_date": lettered_on})


def _letter_codes() -> Iterable[str]:
    """Yield A, B, … Z, AA, AB, … as accounting software letters its matches."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    width = 1
    while True:
        for number in range(len(alphabet) ** width):
            code = ""
            for _position in range(width):
                number, digit = divmod(number, len(alphabet))
                code = alphabet[digit] + code
            yield code
        width += 1


# Helpers


def _line(account: str, label: str, amount_eur: Decimal, amount: Decimal, currency: str, foreign: bool) -> EntryLine:
    return EntryLine(
        account=account,
        account_label=label,
        amount=amount_eur,
        currency_amount=amount if foreign else None,
        currency=currency if foreign else "",
    )


def _euro_rate(document: Invoice) -> Decimal | None:
    if document.currency.upper() == EURO:
        return Decimal(1)
    return document.exchange_rate


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None
