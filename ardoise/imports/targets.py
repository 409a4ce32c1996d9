"""Import targets (customers, products): the columns each takes, and how a row becomes a record.

Each row goes through the same form as a record typed in the UI, so an
imported customer meets exactly the rules of one entered by hand (SIREN
checksum, VAT number, French postcode). Before that, the few values that
people write in many ways are brought to the form's: « Particulier »,
« France », « heure », « 5,5 % ».
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ardoise.banking.csv_statements import normalise_title
from ardoise.catalogue.forms import ProductForm
from ardoise.catalogue.models import Product, ProductKind
from ardoise.core.forms import COUNTRY_NAMES, parse_french_decimal
from ardoise.core.units import UNIT_CHOICES
from ardoise.customers.forms import CustomerForm
from ardoise.customers.models import Customer, CustomerKind


@dataclass(frozen=True)
class Column:
    """A field that a column of the file can fill, with the titles that name it in files seen in practice."""

    name: str
    label: Promise
    titles: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Target:
    """One kind of record that files can create."""

    kind: str  # in the page's address: /import/clients/
    label: Promise  # plural, as in « Importer des clients »
    audit_action: str
    columns: tuple[Column, ...]
    form_class: type[forms.ModelForm]
    model: type[models.Model]
    # Bring a raw value to what the form expects, per field.
    converters: dict[str, Callable[[str], str]] = field(default_factory=dict)
    # The fields whose values identify a record: two rows, or a row and a record, sharing one are duplicates.
    identity: tuple[str, ...] = ("name",)
    # Values of fields that the file does not fill.
    defaults: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def form(self, data: dict[str, str], organisation: Any) -> forms.ModelForm:
        if self.form_class is ProductForm:
            return ProductForm(data=data, organisation=organisation)
        return self.form_class(data=data)


def plain(text: str) -> str:
    """Lower-case text without accents, punctuation or repeated spaces, to compare what people type."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(character for character in decomposed if not unicodedata.combining(character)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", letters).split())


def _by_label(choices: dict[str, str], aliases: dict[str, str]) -> Callable[[str], str]:
    """Return a converter that accepts a code, its French label or an alias, and leaves anything else as typed."""
    known = {plain(label): code for code, label in choices.items()} | {plain(code): code for code in choices}
    known |= {plain(alias): code for alias, code in aliases.items()}

    def convert(raw: str) -> str:
        return known.get(plain(raw), raw) if raw else raw

    return convert


def _customer_kind(raw: str) -> str:
    if not raw:
        return CustomerKind.COMPANY
    return _by_label(
        {kind.value: str(kind.label) for kind in CustomerKind},
        {
            "societe": CustomerKind.COMPANY,
            "professionnel": CustomerKind.COMPANY,
            "pro": CustomerKind.COMPANY,
            "personne physique": CustomerKind.INDIVIDUAL,
            "particuliers": CustomerKind.INDIVIDUAL,
        },
    )(raw)


def _country(raw: str) -> str:
    if not raw:
        return "FR"
    names = {code: str(name) for code, name in COUNTRY_NAMES.items()}
    converted = _by_label(names, {"fra": "FR", "republique francaise": "FR"})(raw)
    return converted.upper() if len(converted) == 2 else converted


def _days(raw: str) -> str:
    """Keep the number of « 30 jours » or « 30 j »."""
    match = re.fullmatch(r"\s*(\d+)\s*(j|jours?)?\s*", raw, flags=re.IGNORECASE)
    return match.group(1) if match else raw


def _product_kind(raw: str) -> str:
    if not raw:
        return ProductKind.SERVICE
    return _by_label(
        {kind.value: str(kind.label) for kind in ProductKind},
        {
            "prestation": ProductKind.SERVICE,
            "prestations": ProductKind.SERVICE,
            "services": ProductKind.SERVICE,
            "bien": ProductKind.GOODS,
            "biens": ProductKind.GOODS,
            "marchandise": ProductKind.GOODS,
            "marchandises": ProductKind.GOODS,
            "produit": ProductKind.GOODS,
            "vente": ProductKind.GOODS,
        },
    )(raw)


def _unit(raw: str) -> str:
    if not raw:
        return "C62"
    return _by_label(
        {code: str(label) for code, label in UNIT_CHOICES},
        {
            "h": "HUR",
            "heures": "HUR",
            "j": "DAY",
            "jours": "DAY",
            "u": "C62",
            "unites": "C62",
            "pieces": "H87",
            "mois": "MON",
            "annee": "ANN",
            "kilo": "KGM",
            "kilogramme": "KGM",
            "metre": "MTR",
            "litres": "LTR",
        },
    )(raw)


def _decimal(raw: str) -> str:
    """Read « 1 234,56 », « 20 % » or « 5,5 » as the form's decimal text.

    Anything else is left as typed, so that the form names it in its error.
    """
    text = raw.replace("%", "").replace("€", "").strip()
    if not text:
        return raw
    try:
        return str(parse_french_decimal(text))
    except (InvalidOperation, ValueError):
        return raw


def _rate(raw: str) -> str:
    """Read a VAT rate as the form's choice value: « 20 % » or « 0,2 » become 20.00."""
    value = _decimal(raw)
    try:
        number = Decimal(value)
    except InvalidOperation:
        return raw
    if 0 < number < 1:
        number *= 100
    return str(number.quantize(Decimal("0.01")))


CUSTOMERS = Target(
    kind="clients",
    label=_("clients"),
    audit_action="customers.imported",
    model=Customer,
    form_class=CustomerForm,
    columns=(
        Column(
            "name",
            _("Nom ou raison sociale"),
            (
                "nom",
                "raison sociale",
                "societe",
                "client",
                "nom du client",
                "entreprise",
                "denomination",
                "name",
                "company",
            ),
            required=True,
        ),
        Column("kind", _("Type (entreprise ou particulier)"), ("type", "type de client", "categorie")),
        Column("siren", _("SIREN"), ("siren", "n siren", "numero siren")),
        Column("siret", _("SIRET"), ("siret", "n siret", "numero siret")),
        Column(
            "vat_number",
            _("Numéro de TVA"),
            (
                "tva",
                "numero de tva",
                "n tva",
                "tva intracommunautaire",
                "numero tva intracommunautaire",
                "vat",
                "vat number",
            ),
        ),
        Column("email", _("E-mail"), ("email", "e mail", "mail", "courriel", "adresse e mail", "adresse email")),
        Column("phone", _("Téléphone"), ("telephone", "tel", "phone", "portable", "mobile")),
        Column("address_line1", _("Adresse"), ("adresse", "adresse 1", "adresse ligne 1", "rue", "address")),
        Column(
            "address_line2",
            _("Complément d'adresse"),
            ("adresse 2", "adresse ligne 2", "complement", "complement d adresse"),
        ),
        Column("postcode", _("Code postal"), ("code postal", "cp", "postcode", "zip")),
        Column("city", _("Ville"), ("ville", "commune", "localite", "city")),
        Column("country_code", _("Pays"), ("pays", "code pays", "country")),
        Column(
            "payment_terms_days",
            _("Délai de paiement (jours)"),
            ("delai de paiement", "delai", "echeance", "conditions de paiement"),
        ),
        Column("notes", _("Notes"), ("notes", "note", "commentaire", "commentaires", "remarques")),
    ),
    converters={"kind": _customer_kind, "country_code": _country, "payment_terms_days": _days},
    identity=("siret", "siren", "name"),
    defaults={"kind": CustomerKind.COMPANY, "country_code": "FR"},
)

PRODUCTS = Target(
    kind="articles",
    label=_("articles"),
    audit_action="products.imported",
    model=Product,
    form_class=ProductForm,
    columns=(
        Column(
            "name",
            _("Désignation"),
            ("designation", "nom", "libelle", "article", "produit", "name", "intitule"),
            required=True,
        ),
        Column("kind", _("Nature (prestation ou bien)"), ("nature", "type", "categorie")),
        Column("description", _("Description"), ("description", "detail", "details")),
        Column("unit", _("Unité"), ("unite", "unit", "u")),
        Column(
            "unit_price",
            _("Prix unitaire HT"),
            ("prix", "prix unitaire", "prix ht", "prix unitaire ht", "pu ht", "tarif", "price"),
            required=True,
        ),
        Column("vat_rate", _("Taux de TVA"), ("tva", "taux de tva", "taux tva", "vat")),
    ),
    converters={"kind": _product_kind, "unit": _unit, "unit_price": _decimal, "vat_rate": _rate},
    identity=("name",),
    defaults={"kind": ProductKind.SERVICE, "unit": "C62", "vat_rate": "20.00"},
)

TARGETS = {target.kind: target for target in (CUSTOMERS, PRODUCTS)}


def guess_mapping(target: Target, header: list[str]) -> dict[str, int | None]:
    """Return the column of the file that fills each field, found by its title; None where no title matches."""
    titles = [plain(normalise_title(title)) for title in header]
    mapping: dict[str, int | None] = {}
    used: set[int] = set()
    for column in target.columns:
        candidates = [plain(str(column.label)), *column.titles]
        found = next(
            (
                index
                for candidate in candidates
                for index, title in enumerate(titles)
                if title == candidate and index not in used
            ),
            None,
        )
        if found is not None:
            used.add(found)
        mapping[column.name] = found
    return mapping
