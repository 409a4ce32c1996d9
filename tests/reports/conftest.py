"""A small business's autumn 2026, built by hand so that every report figure can be worked out on paper.

Customers and documents (amounts in euros unless stated otherwise; the
organisation's payment term is 30 days, a credit note is due on its issue date):

- Boulangerie Martin (the shared ``customer``):
  - F1, 01/09: 10 h of « Développement web » at 65 € (20 %) and 3 books at 28,436 € (5,5 %, a free
    line): 650,00 + 85,31 HT, 130,00 + 4,69 VAT, 870,00 TTC, due 01/10. Paid 300,00 on 20/09 (transfer)
    and 570,00 on 15/10 (cheque).
  - A2, 05/11: credit note on F1 for one book, 28,44 HT + 1,56 VAT = 30,00, refunded on 12/11.
  - F2, 05/10: 20 h of « Développement web »: 1 300,00 HT, 260,00 VAT, 1 560,00 TTC, due 04/11.
    Paid 500,00 on 10/11 (card).
  - A1, 20/11: credit note on F2 for 5 h: 325,00 HT, 65,00 VAT, 390,00 TTC. F2 is left with 670,00.
- Cabinet Durand:
  - F3, 02/11: 2 days of « Journée de conseil » at 650 € (20 %) and a 100 € free service at 10 %:
    1 400,00 HT, 270,00 VAT, 1 670,00 TTC, due 02/12. Received 2 000,00 on 25/11: 1 670,00 settles F3,
    330,00 is credit, of which 100,00 is refunded on 01/12: 230,00 credit left.
  - F5, 15/11, in US dollars at 0,92 € per dollar: 1 000,00 USD HT, 200,00 USD VAT, 1 200,00 USD TTC
    (920,00 € HT, 184,00 € VAT). Received 600,00 USD on 30/11.
- Claire Petit:
  - F4, 15/06: 400,00 HT, 80,00 VAT, 480,00 TTC, due 15/07. A payment of 200,00 on 01/08 was
    reversed on 05/08: F4 is unpaid.
- A draft for Boulangerie Martin, and an invoice of another organisation: neither counts anywhere.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer, CustomerKind
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals
from ardoise.payments.services import receive_payment, record_payment, refund_credit, reverse_payment
from tests.mailing.conftest import smtp_server, smtp_settings  # noqa: F401  (fixtures for the statement e-mail)

PARIS = ZoneInfo("Europe/Paris")
TODAY = datetime.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _forget_cached_settlement_runs():
    # Balance reports look for settled invoices at most every few minutes per organisation; each test starts afresh.
    cache.clear()


@contextmanager
def on(day: datetime.date) -> Iterator[None]:
    """Run the block at 10:00 in Paris on ``day``, as if the user did it that morning."""
    with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS), tick=False):
        yield


def issue(organisation, customer, lines, day, *, currency="EUR", exchange_rate=None) -> Invoice:
    """Issue an invoice on ``day``; each line is (name, quantity, unit price, VAT rate, product or None)."""
    invoice = Invoice.objects.create(
        organisation=organisation, customer=customer, currency=currency, exchange_rate=exchange_rate
    )
    for position, (name, quantity, price, rate, product) in enumerate(lines, start=1):
        line = InvoiceLine(
            invoice=invoice,
            position=position,
            product=product,
            name=name,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            vat_rate=Decimal(rate),
            is_service=rate != "5.50",
        )
        normalise_line_vat(line, organisation, customer)
        line.save()
    refresh_totals(invoice)
    with on(day):
        return issue_invoice(invoice, today=day)


def credit(invoice: Invoice, quantities: dict[int, str], day: datetime.date) -> Invoice:
    draft = create_credit_note(invoice, {rank: Decimal(quantity) for rank, quantity in quantities.items()})
    with on(day):
        return issue_invoice(draft, today=day)


def pay(invoice: Invoice, amount: str, day: datetime.date, method: str = "virement"):
    with on(day):
        return record_payment(invoice, Decimal(amount), day, method)


@dataclass
class Autumn:
    organisation: object
    martin: Customer
    durand: Customer
    petit: Customer
    development: Product
    consulting: Product
    f1: Invoice
    f2: Invoice
    f3: Invoice
    f4: Invoice
    f5: Invoice
    a1: Invoice
    a2: Invoice
    draft: Invoice
    outsider_customer: Customer


@pytest.fixture
def autumn(organisation, customer, other_organisation) -> Autumn:
    development = Product.objects.create(
        organisation=organisation, name="Développement web", unit="HUR", unit_price=Decimal("65.0000")
    )
    consulting = Product.objects.create(
        organisation=organisation, name="Journée de conseil", unit="DAY", unit_price=Decimal("650.0000")
    )
    durand = Customer.objects.create(
        organisation=organisation,
        name="Cabinet Durand & Associés",
        siren="552100554",
        email="factures@cabinet-durand.fr",
        address_line1="8 quai Saint-Antoine",
        postcode="69002",
        city="Lyon",
    )
    petit = Customer.objects.create(
        organisation=organisation,
        kind=CustomerKind.INDIVIDUAL,
        name="Claire Petit",
        email="claire.petit@example.fr",
        address_line1="27 avenue Jean Jaurès",
        postcode="69007",
        city="Lyon",
    )

    f4 = issue(organisation, petit, [("Audit", "1", "400", "20.00", None)], datetime.date(2026, 6, 15))
    mistake = pay(f4, "200.00", datetime.date(2026, 8, 1))
    with on(datetime.date(2026, 8, 5)):
        reverse_payment(mistake)

    f1 = issue(
        organisation,
        customer,
        [
            ("Développement web", "10", "65", "20.00", development),
            ("Livre « Lumière »", "3", "28.436", "5.50", None),
        ],
        datetime.date(2026, 9, 1),
    )
    pay(f1, "300.00", datetime.date(2026, 9, 20))
    f2 = issue(
        organisation, customer, [("Développement web", "20", "65", "20.00", development)], datetime.date(2026, 10, 5)
    )
    pay(f1, "570.00", datetime.date(2026, 10, 15), "cheque")

    f3 = issue(
        organisation,
        durand,
        [
            ("Journée de conseil", "2", "650", "20.00", consulting),
            ("Frais de déplacement", "1", "100", "10.00", None),
        ],
        datetime.date(2026, 11, 2),
    )
    a2 = credit(f1, {2: "1"}, datetime.date(2026, 11, 5))
    pay(f2, "500.00", datetime.date(2026, 11, 10), "carte")
    pay(a2, "30.00", datetime.date(2026, 11, 12))
    f5 = issue(
        organisation,
        durand,
        [("Conseil à distance", "1", "1000", "20.00", None)],
        datetime.date(2026, 11, 15),
        currency="USD",
        exchange_rate=Decimal("0.920000"),
    )
    a1 = credit(f2, {1: "5"}, datetime.date(2026, 11, 20))
    with on(datetime.date(2026, 11, 25)):
        receive_payment(durand, Decimal("2000.00"), datetime.date(2026, 11, 25), "virement", "VIR DURAND")
    with on(datetime.date(2026, 11, 30)):
        receive_payment(durand, Decimal("600.00"), datetime.date(2026, 11, 30), currency="USD")
    with on(datetime.date(2026, 12, 1)):
        refund_credit(durand, Decimal("100.00"), datetime.date(2026, 12, 1))

    draft = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=draft, name="Brouillon", quantity=Decimal("1"), unit_price=Decimal("999"))
    refresh_totals(draft)

    outsider_customer = Customer.objects.create(
        organisation=other_organisation,
        name="Client du concurrent",
        siren="552081317",
        address_line1="1 rue",
        postcode="75001",
        city="Paris",
    )
    issue(
        other_organisation, outsider_customer, [("Prestation", "1", "5000", "20.00", None)], datetime.date(2026, 11, 3)
    )

    return Autumn(
        organisation=organisation,
        martin=customer,
        durand=durand,
        petit=petit,
        development=development,
        consulting=consulting,
        f1=f1,
        f2=f2,
        f3=f3,
        f4=f4,
        f5=f5,
        a1=a1,
        a2=a2,
        draft=draft,
        outsider_customer=outsider_customer,
    )


@pytest.fixture
def today():
    with on(TODAY):
        yield TODAY
