"""Fixtures of the quote tests: a draft quote with two VAT rates, and the same quote issued."""

import datetime
from decimal import Decimal

import pytest

from ardoise.quotes.models import Quote, QuoteLine
from ardoise.quotes.services import issue, save_draft

ISSUE_DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def draft_quote(organisation, customer, product) -> Quote:
    """A draft of 12.5 hours at 65 € (20 %) and 3 books at 28.436 € (5.5 %), with a 10 % discount."""
    quote = Quote(
        organisation=organisation,
        customer=customer,
        conditions="Travaux réalisés sous quatre semaines.",
        discount_value=Decimal("10.00"),
    )
    lines = [
        QuoteLine(
            product=product,
            name=product.name,
            quantity=Decimal("12.5"),
            unit=product.unit,
            unit_price=product.unit_price,
            vat_rate=Decimal("20.00"),
        ),
        QuoteLine(
            name="Livre « Lumière »",
            quantity=Decimal("3"),
            unit="H87",
            unit_price=Decimal("28.4360"),
            vat_rate=Decimal("5.50"),
            is_service=False,
        ),
    ]
    return save_draft(quote, lines)


@pytest.fixture
def issued_quote(draft_quote) -> Quote:
    """``draft_quote`` issued on 4 December 2026 as D-2026-0001."""
    return issue(draft_quote, today=ISSUE_DAY)


# The real SMTP server on loopback of the mailing tests.
from tests.mailing.conftest import eml_settings, smtp_server, smtp_settings  # noqa: E402, F401
