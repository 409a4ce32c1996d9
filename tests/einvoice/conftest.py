"""Fixtures for the e-invoicing tests: a seller, a buyer and document builders.

These tests need no database, only Django's translation machinery; when
pytest runs without pytest-django, minimal settings are configured here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=True, LANGUAGE_CODE="fr")
    django.setup()

from ardoise.core.document import Address, DocumentLine, InvoiceDocument, Note, Party
from ardoise.core.money import Adjustment

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference-invoices"

ISSUE_DATE = datetime.date(2026, 12, 4)

# The three mentions the French rules require in every invoice (BR-FR-05).
LEGAL_NOTES = (
    Note("Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.", "PMT"),
    Note(
        "Pénalités de retard : taux directeur de la BCE majoré de 10 points, exigibles dès le lendemain de l'échéance.",
        "PMD",
    ),
    Note("Pas d'escompte pour paiement anticipé.", "AAB"),
)


@pytest.fixture
def seller() -> Party:
    return Party(
        name="Atelier Dupont SARL",
        address=Address(line1="12 rue des Lilas", postcode="69003", city="Lyon"),
        legal_form="SARL",
        share_capital="10 000 €",
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        registration="RCS Lyon",
        email="factures@atelier-dupont.fr",
        phone="04 78 00 00 00",
    )


@pytest.fixture
def buyer() -> Party:
    return Party(
        name="Boulangerie Martin SAS",
        address=Address(line1="3 place Bellecour", postcode="69002", city="Lyon"),
        siren="552081317",
        siret="55208131766522",
        vat_number="FR03552081317",
        email="compta@boulangerie-martin.fr",
    )


def _make_line(
    name: str = "Développement web",
    quantity: str = "3",
    price: str = "65.00",
    rate: str = "20",
    category: str = "S",
    unit: str = "HUR",
    unit_label: str = "heure",
    **fields: Any,
) -> DocumentLine:
    """Return a line whose stored net amount is the money module's own."""
    line = DocumentLine(
        name=name,
        quantity=Decimal(quantity),
        unit_code=unit,
        unit_label=unit_label,
        net_price=Decimal(price),
        vat_category=category,
        vat_rate=Decimal(rate),
        net_amount=Decimal("0"),
        **fields,
    )
    net_amount = line.to_money_line().net_amount(2)
    return DocumentLine(**{**line.__dict__, "net_amount": net_amount})


def _make_adjustment(percent: str | None = None, amount: str | None = None, **fields: Any) -> Adjustment:
    return Adjustment(
        percent=None if percent is None else Decimal(percent),
        amount=None if amount is None else Decimal(amount),
        reason=fields.pop("reason", "Remise commerciale"),
        reason_code=fields.pop("reason_code", "95"),
        **fields,
    )


@pytest.fixture
def make_line() -> Callable[..., DocumentLine]:
    """Return a line builder: ``make_line(quantity="2", price="10", rate="5.5")``."""
    return _make_line


@pytest.fixture
def make_adjustment() -> Callable[..., Adjustment]:
    """Return an allowance or charge builder, a commercial discount by default."""
    return _make_adjustment


@pytest.fixture
def make_document(seller: Party, buyer: Party) -> Callable[..., InvoiceDocument]:
    """Return a builder of valid French invoices; keyword arguments override fields."""

    def build(**fields: Any) -> InvoiceDocument:
        values: dict[str, Any] = {
            "number": "F-2026-0042",
            "type_code": "380",
            "issue_date": ISSUE_DATE,
            "currency": "EUR",
            "seller": seller,
            "buyer": buyer,
            "lines": (_make_line(),),
            "due_date": ISSUE_DATE + datetime.timedelta(days=30),
            "notes": LEGAL_NOTES,
            "payment_terms": "30 jours à compter de la date de facture",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "payment_reference": "F-2026-0042",
        }
        values.update(fields)
        return InvoiceDocument(**values)

    return build


@pytest.fixture
def reference_bytes() -> Callable[[str], bytes]:
    """Return a reader of the reference invoices shared with the team, by file name."""

    def read(name: str) -> bytes:
        matches = list(REFERENCE_DIR.glob("*/" + name))
        assert matches, f"reference invoice {name} not found under {REFERENCE_DIR}"
        return matches[0].read_bytes()

    return read
