"""A realistic sample invoice, for template previews, tests and benchmarks."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ardoise.core.document import Address, DocumentLine, InvoiceDocument, Note, Party
from ardoise.core.money import Adjustment, Line, VatKey

SELLER = Party(
    name="Atelier Dupont SARL",
    address=Address(line1="12 rue des Lilas", postcode="69003", city="Lyon"),
    legal_form="SARL",
    share_capital="10\u202f000,00\u00a0€",
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    registration="RCS Lyon",
    email="factures@atelier-dupont.fr",
    phone="04 78 00 00 00",
)

BUYER = Party(
    name="Boulangerie Martin SAS",
    address=Address(line1="3 place Bellecour", line2="Bâtiment B", postcode="69002", city="Lyon"),
    siren="552081317",
    vat_number="FR03552081317",
)

LEGAL_MENTIONS = (
    "Nature de l'opération : prestation de services",
    "Pénalités de retard : taux de la BCE majoré de 10 points, exigibles dès le lendemain de l'échéance.",
    "Indemnité forfaitaire pour frais de recouvrement : 40 €",
    "Pas d'escompte pour paiement anticipé.",
    "Atelier Dupont SARL – SARL au capital de 10\u202f000,00\u00a0€ – RCS Lyon 732 829 320",
)

# (name, description, quantity, unit code, unit label, unit price, VAT rate)
CATALOGUE = (
    ("Développement web", "Intégration des maquettes et du tunnel de commande.", "12.5", "HUR", "heure", "65", "20"),
    ("Conception graphique", "Charte graphique, logo et déclinaisons print.", "3", "DAY", "jour", "480", "20"),
    ("Hébergement annuel", "Serveur mutualisé, sauvegardes quotidiennes, TLS.", "1", "ANN", "an", "240", "20"),
    ("Formation", "Prise en main de l'outil de gestion par l'équipe.", "1", "DAY", "jour", "650", "20"),
    ("Livre technique", "", "2", "H87", "pièce", "39.9", "5.5"),
)


def sample_line(index: int) -> DocumentLine:
    """Return the ``index``-th line of a sample invoice, cycling through a small catalogue."""
    name, description, quantity, unit_code, unit_label, price, rate = CATALOGUE[index % len(CATALOGUE)]
    money_line = Line(Decimal(quantity), Decimal(price), VatKey("S", Decimal(rate)))
    return DocumentLine(
        name=name,
        description=description,
        quantity=Decimal(quantity),
        unit_code=unit_code,
        unit_label=unit_label,
        net_price=Decimal(price),
        vat_category="S",
        vat_rate=Decimal(rate),
        net_amount=money_line.net_amount(),
        is_service=unit_code != "H87",
    )


def sample_invoice(line_count: int = 10, **changes: object) -> InvoiceDocument:
    """Return a sample invoice of ``line_count`` lines, with ``changes`` overriding any field."""
    fields: dict[str, object] = dict(
        number="F-2026-0042",
        type_code="380",
        issue_date=datetime.date(2026, 12, 4),
        due_date=datetime.date(2027, 1, 3),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        lines=tuple(sample_line(i) for i in range(line_count)),
        purchase_order="BC-2026-118",
        notes=tuple(Note(text, code) for text, code in zip(LEGAL_MENTIONS[1:4], ("PMD", "PMT", "AAB"), strict=True)),
        payment_terms="Paiement à 30 jours, au plus tard le 03/01/2027, par virement bancaire.",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        payment_reference="F-2026-0042",
        legal_mentions=LEGAL_MENTIONS,
    )
    fields.update(changes)
    return InvoiceDocument(**fields)  # type: ignore[arg-type]


def document_discount(percent: Decimal, rates: tuple[Decimal, ...] = (Decimal("20"),)) -> tuple[Adjustment, ...]:
    """Return a document-level percentage discount, one allowance per VAT rate as EN 16931 wants."""
    return tuple(
        Adjustment(percent=percent, reason="Remise globale", reason_code="95", vat=VatKey("S", rate)) for rate in rates
    )
