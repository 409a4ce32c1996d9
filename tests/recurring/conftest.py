from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.recurring.models import RecurringPlan
from ardoise.recurring.services import save_plan


def make_plan(organisation, customer, *, price: str = "100.00", **fields) -> RecurringPlan:
    """Save a plan with one service line at 20 % through the same service as the editor."""
    values = {
        "name": "Maintenance du site",
        "frequency": "monthly",
        "interval": 1,
        "start_date": datetime.date(2027, 1, 31),
        "auto_issue": True,
        "auto_send": False,
        **fields,
    }
    template = Invoice(organisation=organisation, customer=customer)
    line = InvoiceLine(
        name="Maintenance mensuelle", quantity=Decimal("1"), unit_price=Decimal(price), vat_rate=Decimal("20.00")
    )
    return save_plan(RecurringPlan(organisation=organisation, **values), template, [line])


@pytest.fixture
def plan(organisation, customer):
    return make_plan(organisation, customer)
