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
