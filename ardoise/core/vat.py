"""French VAT rates, categories (UNTDID 5305) and exemption wordings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Every French rate an invoice line or a catalogue product may carry: the mainland
# rates, the Corsican rates (13 %, 0.9 %) and those of the overseas departments
# (8.5 %, 1.75 %, 1.05 %).
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
        # Services to a business established outside the EU are taxed where the customer is
        # established (CGI art. 259-1). NOTE: EN 16931 has no category for this case that a
        # VAT-registered seller can use (category O forbids the seller's VAT number, BR-O-02),
        # so Ardoise files it under G, with the export code and the French legal basis.
        Exemption("services_outside_eu", "G", "VATEX-EU-G", _("TVA non applicable, art. 259-1 du CGI")),
        # Exempt activities (CGI art. 261-4), with the VAT directive's exemption codes.
        Exemption("training", "E", "VATEX-EU-132-1I", _("Exonération de TVA, article 261-4-4° a du CGI")),
        Exemption("health", "E", "VATEX-EU-132-1C", _("Exonération de TVA, article 261-4-1° du CGI")),
        Exemption("private_tuition", "E", "VATEX-EU-132-1J", _("Exonération de TVA, article 261-4-4° b du CGI")),
        # Expenses paid in the customer's name and passed on at cost stay out of
        # the taxable amount (CGI art. 267 II 2°, VAT directive art. 79 c).
        Exemption("disbursement", "E", "VATEX-EU-79-C", _("Débours, article 267 II 2° du CGI")),
        # A legal basis typed by the user: the line's ``exemption_text`` carries the wording.
        Exemption("other", "E", "", ""),
        # A zero-rated supply is taxed at 0 %: EN 16931 forbids an exemption reason for it (BR-Z-10).
        Exemption("zero_rated", "Z", "", ""),
    ]
}
EXEMPTION_LABELS = {
    "zero_rated": _("Taux zéro"),
    "other": _("Autre motif (celui de la fiche client ou de l'entreprise)"),
}
EXEMPTION_CHOICES = [("", _("—"))] + [(e.key, e.wording or EXEMPTION_LABELS[e.key]) for e in EXEMPTIONS.values()]
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


# VAT situations: what the organisation and the customer imply for the lines.

# Member states of the European Union since 1 February 2020, by ISO 3166-1 code
# (Greece is « GR » here, although its VAT numbers start with « EL »).
EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip

# Monaco belongs to the French VAT territory (Franco-Monegasque convention of
# 18 May 1963): a sale to Monaco is taxed as a sale in France.
FRENCH_VAT_TERRITORY = frozenset({"FR", "MC"})

# The exempt activities an organisation or a customer can state as their
# legal basis, then « other » for a basis typed in full.
EXEMPT_BASES = ("training", "health", "private_tuition", "article_261", "other")
EXEMPT_BASIS_CHOICES = [("", _("—"))] + [
    (key, EXEMPTIONS[key].wording or _("Autre motif (à saisir ci-dessous)")) for key in EXEMPT_BASES
]


class VatSituation(TextChoices):
    """The customer's VAT situation, which sets the VAT of the lines sold to it."""

    FRANCE = "france", _("France")
    EU_BUSINESS = "eu_business", _("Entreprise dans l'UE (autoliquidation / livraison intracommunautaire)")
    EU_INDIVIDUAL = "eu_individual", _("Particulier dans l'UE")
    EXPORT = "export", _("Hors UE (export)")
    EXEMPT = "exempt", _("Exonéré")


def is_in_eu(country_code: str) -> bool:
    """Tell whether a country is an EU member state other than France."""
    code = (country_code or "FR").upper()
    return code in EU_MEMBER_STATES and code not in FRENCH_VAT_TERRITORY


def is_outside_eu(country_code: str) -> bool:
    code = (country_code or "FR").upper()
    return code not in EU_MEMBER_STATES and code not in FRENCH_VAT_TERRITORY


def derive_situation(country_code: str, is_company: bool, vat_number: str) -> VatSituation:
    """Return the VAT situation a customer has unless the user chose another.

    An EU customer with a VAT number is a business even when recorded as an
    individual (a sole trader). An EU company without one is still a business:
    issuing then requests its number rather than charging French VAT silently.
    """
    if is_in_eu(country_code):
        return VatSituation.EU_BUSINESS if is_company or vat_number else VatSituation.EU_INDIVIDUAL
    if is_outside_eu(country_code):
        return VatSituation.EXPORT
    return VatSituation.FRANCE


@dataclass(frozen=True)
class LineVat:
    """The VAT a new line gets by default: a rate, or 0 % with an exemption key."""

    rate: Decimal | None  # None keeps the editor's standard rate
    exemption: str = ""


STANDARD = LineVat(None)


def default_line_vat(
    *,
    franchise: bool,
    organisation_exemption: str,
    situation: str,
    customer_exemption: str,
    is_company: bool,
    is_service: bool,
) -> LineVat:
    """Return the default VAT of a line from the organisation's and the customer's situations.

    Franchise en base wins over everything (CGI art. 293 B). Then the
    customer: a business in another EU member state self-assesses the VAT on
    services (CGI art. 283-2, 259-1) and receives goods VAT-free (art. 262 ter
    I); goods leaving the EU are exempt (art. 262 I) and services to a business
    outside the EU are taxed there (art. 259-1). An exempt organisation's
    basis applies to the remaining sales, which are taxed in France.
    """
    zero = Decimal("0.00")
    if franchise:
        # NOTE: B2B services to an EU business are taxed in the customer's country
        # (art. 259-1), outside the franchise, and call for « Autoliquidation » and
        # a VAT number. Ardoise still prints the art. 293 B wording on every line.
        return LineVat(zero, "franchise")
    if situation == VatSituation.EU_BUSINESS:
        return LineVat(zero, "reverse_charge" if is_service else "intra_eu_goods")
    if situation == VatSituation.EXPORT and not is_service:
        return LineVat(zero, "export")
    if situation == VatSituation.EXPORT and is_company:
        return LineVat(zero, "services_outside_eu")
    if situation == VatSituation.EXEMPT:
        return LineVat(zero, customer_exemption or "other")
    if organisation_exemption:
        return LineVat(zero, organisation_exemption)
    return STANDARD


def exemption_for_kind(exemption: str, is_service: bool) -> str:
    """Swap the exemption that cannot apply to the line's nature for the one that does.

    For a business customer in another EU member state, services are reverse
    charged (AE) and goods are an intra-EU supply (K). Goods are never
    « TVA non applicable, art. 259-1 », which concerns services: leaving the
    EU, they are exported (art. 262 I). Any other choice stays, since services
    linked to an export may be exempt under art. 262 I too.
    """
    if exemption in ("reverse_charge", "intra_eu_goods"):
        return "reverse_charge" if is_service else "intra_eu_goods"
    if exemption == "services_outside_eu" and not is_service:
        return "export"
    return exemption
