"""Bank statements: the sample files, invoices of exact amounts, and a frozen day after the statements."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ardoise.banking.services import import_statement
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceLine, NumberingSeries
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals

FILES = Path(__file__).parent / "files"
PARIS = ZoneInfo("Europe/Paris")
# The sample statements run from 1 to 9 December 2026.
TODAY = datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS)
ORGANISATION_IBAN = "FR7630006000011234567890189"


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()


def make_invoice(
    customer: Customer,
    total: str,
    *,
    issued_on: datetime.date = datetime.date(2026, 12, 1),
    due_in: int = 30,
    series: NumberingSeries | None = None,
) -> Invoice:
    """Issue an invoice of one line at 20 % VAT whose total including VAT is exactly ``total``."""
    target = Decimal(total)
    invoice = Invoice.objects.create(
        organisation=customer.organisation, customer=customer, payment_terms_days=due_in, series=series
    )
    line = InvoiceLine(invoice=invoice, position=0, name="Prestation", quantity=Decimal("1"), unit="C62")
    line.vat_rate = Decimal("20.00")
    net = (target / Decimal("1.2")).quantize(Decimal("0.01"))
    # Some totals have no net price at 20 % that rounds to them: look one cent around.
    for candidate in (net, net + Decimal("0.01"), net - Decimal("0.01")):
        if (candidate * Decimal("1.2")).quantize(Decimal("0.01")) == target:
            line.unit_price = candidate
            break
    normalise_line_vat(line, customer.organisation)
    line.save()
    refresh_totals(invoice)
    issued = issue_invoice(invoice, today=issued_on)
    assert issued.amount_due == target, "no net price at 20 %% gives %s" % total
    return issued


def make_customer(organisation, name: str) -> Customer:
    return Customer.objects.create(
        organisation=organisation,
        name=name,
        email="compta@example.fr",
        address_line1="1 rue de la République",
        city="Lyon",
        postcode="69001",
    )


def import_sample(organisation, name: str, **kwargs):
    return import_statement(organisation, sample(name), name, **kwargs)


@pytest.fixture
def martin(customer):
    """Boulangerie Martin SAS, the shared customer fixture."""
    return customer


@pytest.fixture
def cafe(organisation):
    return make_customer(organisation, "Café des Arts SARL")


@pytest.fixture
def librairie(organisation):
    return make_customer(organisation, "Librairie du Parc")
