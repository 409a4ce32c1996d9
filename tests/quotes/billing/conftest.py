"""Fixtures of the quote billing tests: an accepted quote with three VAT rates and discounts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.quotes.models import Quote, QuoteLine
from ardoise.quotes.services import accept, issue, save_draft

D = Decimal
DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def accepted_quote(organisation, customer, owner) -> Quote:
    """A quote at 20 %, 5,5 % and 2,1 %, with a 10 % line discount and a 5 % document discount, accepted."""
    quote = Quote(organisation=organisation, customer=customer, discount_value=D("5.00"))
    lines = [
        QuoteLine(name="Pose de carrelage", quantity=D("12.5"), unit="HUR", unit_price=D("65"), vat_rate=D("20")),
        QuoteLine(
            name="Isolation des combles",
            quantity=D("3"),
            unit="C62",
            unit_price=D("333.33"),
            vat_rate=D("5.5"),
            discount_percent=D("10"),
        ),
        QuoteLine(name="Abonnement presse", quantity=D("7"), unit="C62", unit_price=D("4.99"), vat_rate=D("2.1")),
    ]
    quote = save_draft(quote, lines)
    quote = issue(quote, today=DAY)
    return accept(quote, owner, name="M. Martin")
