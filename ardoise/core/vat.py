"""French VAT rates, categories (UNTDID 5305) and exemption wordings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VAT_RATE_CHOICES = [
    (Decimal("20.00"), "20 %"),
    (Decimal("10.00"), "10 %"),
    (Decimal("5.50"), "5,5 %"),
    (Decimal("2.10"), "2,1 %"),
    (Decimal("0.00"), "0 %"),
]

# Every French rate an invoice line may carry: the mainland rates, the Corsican
# rates (13 %, 0.9 %) and those of the overseas departments (8.5 %, 1.75 %, 1.05 %).
# NOTE: catalogue products still offer VAT_RATE_CHOICES only; widening them
# needs a catalogue migration.
LINE_VAT_RATE_CHOICES = [
    (Decimal("20.00"), "20 %"),
    (Decimal("13.00"), _("13 % (Corse)")),
    (Decimal("10.00"), "10 %"),
    (Decimal("8.50"), _("8,5 % (outre-mer)")),
    (Decimal("5.50"), "5,5 %"),
    (Decimal("2.10"), "2,1 %"),
    (Decimal("1.75"), _("1,75 % (outre-mer)")),
    (Decimal("1.05"), _("1,05 % (outre-mer)")),
    (Decimal("0.90"), _("0,9 % (Corse)")),
    (Decimal("0.00"), "0 %"),
]


@dataclass(frozen=True)
class Exemption:
    """Why a line carries no VAT: its category, VATEX code and legal wording."""

    key: str
    category: str
    code: str
    wording: str | Promise


EXEMPTIONS = {
    e.key: e
    for e in [
        Exemption("franchise", "E", "VATEX-FR-FRANCHISE", _("TVA non applicable, art. 293 B du CGI")),
        Exemption("article_261", "E", "", _("Exonération de TVA, article 261 du CGI")),
        Exemption("intra_eu_goods", "K", "VATEX-EU-IC", _("Exonération de TVA, article 262 ter I du CGI")),
        Exemption("export", "G", "VATEX-EU-G", _("Exonération de TVA, article 262 I du CGI")),
        Exemption("reverse_charge", "AE", "VATEX-EU-AE", _("Autoliquidation")),
        Exemption("outside_scope", "O", "VATEX-EU-O", _("Opération non soumise à la TVA")),
        # A zero-rated supply is taxed at 0 %: EN 16931 forbids an exemption reason for it (BR-Z-10).
        Exemption("zero_rated", "Z", "", ""),
    ]
}
EXEMPTION_CHOICES = [("", _("—"))] + [(e.key, e.wording or _("Taux zéro")) for e in EXEMPTIONS.values()]
CATEGORY_EXEMPTIONS = {
    "K": "intra_eu_goods",
    "G": "export",
    "AE": "reverse_charge",
    "O": "outside_scope",
    "Z": "zero_rated",
}


def category_for(rate: Decimal, exemption_key: str) -> str:
    """Return the VAT category code of a line from its rate and exemption."""
    if rate > 0:
        return "S"
    exemption = EXEMPTIONS.get(exemption_key)
    return exemption.category if exemption else "Z"
