"""Form fields shared by the apps: French dates and decimals, identifiers and countries."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ardoise.core import validators
from ardoise.core.formats import format_date

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# Either format's shape, whatever the values: a date of that shape that does not parse is not in the calendar.
WELL_FORMED_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})$")
# The dates a form may take: far beyond them, date arithmetic leaves Python's calendar.
FIRST_DATE = datetime.date(1900, 1, 1)
LAST_DATE = datetime.date(2199, 12, 31)

# ISO 3166-1 alpha-2 codes of the countries most French businesses invoice:
# France first, then the EU member states, then the usual partners outside it.
COUNTRY_NAMES = {
    "FR": _("France"),
    "DE": _("Allemagne"),
    "AT": _("Autriche"),
    "BE": _("Belgique"),
    "BG": _("Bulgarie"),
    "CY": _("Chypre"),
    "HR": _("Croatie"),
    "DK": _("Danemark"),
    "ES": _("Espagne"),
    "EE": _("Estonie"),
    "FI": _("Finlande"),
    "GR": _("Grèce"),
    "HU": _("Hongrie"),
    "IE": _("Irlande"),
    "IT": _("Italie"),
    "LV": _("Lettonie"),
    "LT": _("Lituanie"),
    "LU": _("Luxembourg"),
    "MT": _("Malte"),
    "NL": _("Pays-Bas"),
    "PL": _("Pologne"),
    "PT": _("Portugal"),
    "CZ": _("Tchéquie"),
    "RO": _("Roumanie"),
    "SK": _("Slovaquie"),
    "SI": _("Slovénie"),
    "SE": _("Suède"),
    "AD": _("Andorre"),
    "CH": _("Suisse"),
    "MC": _("Monaco"),
    "GB": _("Royaume-Uni"),
    "NO": _("Norvège"),
    "IS": _("Islande"),
    "US": _("États-Unis"),
    "CA": _("Canada"),
    "MA": _("Maroc"),
    "DZ": _("Algérie"),
    "TN": _("Tunisie"),
    "SN": _("Sénégal"),
    "CI": _("Côte d'Ivoire"),
    "CN": _("Chine"),
    "JP": _("Japon"),
    "AU": _("Australie"),
}

# Django's own message uses « courriel », but Ardoise writes « e-mail » everywhere and shows the typed value.
EMAIL_ERROR_MESSAGES = {
    "invalid": _("L'adresse e-mail « %(value)s » n'est pas valide : vérifiez-la, par exemple nom@exemple.fr."),
}

# Characters people type or paste as thousands separators: space, no-break
# space (U+00A0), narrow no-break space (U+202F) and the apostrophe used in Switzerland.
_GROUPING_CHARACTERS = str.maketrans("", "", " \u00a0\u202f'’")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def country_choices(current: str = "", blank_label: Any = None) -> list[tuple[str, Any]]:
    """Return the country choices, keeping ``current`` even when the list lacks it."""
    choices: list[tuple[str, Any]] = list(COUNTRY_NAMES.items())
    if current and current not in COUNTRY_NAMES:
        choices.append((current, current))
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code))


def parse_french_decimal(raw: str) -> Decimal:
    """Parse « 1 234,56 », « 1234.56 », « 1.234,56 » or « 12,5 » into a Decimal.

    A comma and a dot are both decimal separators. When both appear, as in
    « 1.234,56 », the last one is the decimal separator and the other groups
    thousands; a separator that appears twice also groups thousands. Grouped
    digits must come in threes (« 1.234.567 »), so a typo such as « 0,9,2 »
    or « 1,2,3 » is rejected rather than read as another number. Raises
    ``InvalidOperation`` when the text is not a number.
    """
    text = raw.strip().translate(_GROUPING_CHARACTERS)
    separators = [character for character in text if character in ",."]
    decimal_separator = ""
    if separators and separators.count(separators[-1]) == 1:
        decimal_separator = separators[-1]
    whole, fraction = text, ""
    if decimal_separator:
        position = text.rfind(decimal_separator)
        whole, fraction = text[:position], text[position + 1 :]
    grouping = {character for character in whole if character in ",."}
    if len(grouping) > 1:
        raise InvalidOperation(raw)
    if grouping:
        groups = whole.lstrip("+-").split(grouping.pop())
        if not (1 <= len(groups[0]) <= 3 and groups[0][0] != "0") or any(len(g) != 3 for g in groups[1:]):
            raise InvalidOperation(raw)
        whole = whole.replace(",", "").replace(".", "")
    text = whole + ("." + fraction if decimal_separator else "")
    # Decimal() would also accept « NaN », « Infinity » and « 1E3 », which are not amounts.
    if not _PLAIN_NUMBER.fullmatch(text):
        raise InvalidOperation(raw)
    return Decimal(text)


def plain_decimal(value: Decimal, min_places: int = 2) -> str:
    """Write a Decimal with a dot, at least ``min_places`` decimals and no other trailing zero.

    « 65.0000 » becomes « 65.00 » and « 0.0125 » stays as it is. Decimal's own
    formatting is used, because %-formatting goes through a float.
    """
    exponent = value.normalize().as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return format(value, f".{places}f")


def format_decimal_input(value: Decimal, min_places: int = 2) -> str:
    """Format a Decimal for a form input the French way: « 12,50 », « 0,0125 »."""
    return plain_decimal(value, min_places).replace(".", ",")


class FrenchDecimalField(forms.DecimalField):
    """A decimal field that accepts the French decimal comma in any locale.

    Django's ``localize=True`` parses with the active language's separators,
    so « 12,5 » would fail for a user whose browser requests English, and
    « 1 234,5 » with a plain space fails unless ``USE_THOUSAND_SEPARATOR`` is
    on. This field parses both separators itself and names the typed value in
    its errors.
    """

    widget = forms.TextInput

    default_error_messages = {
        "invalid": _("« %(value)s » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."),
        "max_decimal_places": _("« %(value)s » a trop de chiffres après la virgule : %(max)s au plus."),
        "max_whole_digits": _("« %(value)s » est trop grand : %(max)s chiffres au plus avant la virgule."),
        "min_value": _("Saisissez un nombre positif ou nul."),
    }

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs: Any) -> None:
        self.places = decimal_places
        self.whole_digits = max_digits - decimal_places
        # Precision checks happen in to_python(), where the typed text is still known.
        super().__init__(max_digits=None, decimal_places=None, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        raw = str(value).strip()
        try:
            number = parse_french_decimal(raw)
        except (InvalidOperation, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": raw}) from None
        return self._checked_precision(number, raw)

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return format_decimal_input(value)
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # DecimalField would add step="any" and min/max, meant for number inputs.
        return forms.Field.widget_attrs(self, widget)

    def _checked_precision(self, number: Decimal, raw: str) -> Decimal:
        """Return ``number`` with at most ``places`` decimals, or raise if that loses a digit."""
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > self.places:
            # « 12,50000 » only has trailing zeros too many: drop them for the model's own check.
            rounded = number.quantize(Decimal(1).scaleb(-self.places))
            if rounded != number:
                raise ValidationError(
                    self.error_messages["max_decimal_places"],
                    code="max_decimal_places",
                    params={"value": raw, "max": self.places},
                )
            number = rounded
        if number.adjusted() + 1 > self.whole_digits:
            raise ValidationError(
                self.error_messages["max_whole_digits"],
                code="max_whole_digits",
                params={"value": raw, "max": self.whole_digits},
            )
        return number


class IdentifierField(forms.CharField):
    """A text field cleaned by one of ``ardoise.core.validators``' ``clean_*`` functions.

    The cleaner validates and compacts the value, so that « 732 829 320 »
    is stored as « 732829320 ». The model's ``max_length`` is not applied to
    the typed text, because spaces may make it longer than the stored value.
    """

    def __init__(
        self, cleaner: Callable[[str], str], *, display: Callable[[str], str] | None = None, **kwargs: Any
    ) -> None:
        self.cleaner = cleaner
        self.display = display
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("spellcheck", "false")

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return self.cleaner(text) if text else text

    def prepare_value(self, value: Any) -> Any:
        if self.display is not None and isinstance(value, str) and value:
            return self.display(value)
        return value


def fill_siren(cleaned: dict[str, Any]) -> str:
    """Fill an empty SIREN from the SIRET or the French VAT number, and return the SIREN.

    The returned SIREN is the one to cross-check the other identifiers with.
    It is stored in ``cleaned`` only when the SIREN field itself was valid.
    """
    siren = cleaned.get("siren") or ""
    if siren:
        return siren
    siret = cleaned.get("siret") or ""
    vat_number = cleaned.get("vat_number") or ""
    if siret:
        siren = siret[:9]
    elif vat_number.startswith("FR") and vat_number[4:7] != "000":
        # Monaco's French VAT numbers carry « 000 » and no SIREN.
        siren = vat_number[4:]
    if siren and "siren" in cleaned:
        cleaned["siren"] = siren
    return siren


def add_identifier_errors(form: forms.BaseForm, cleaned: dict[str, Any], siren: str) -> None:
    """Attach the SIREN, SIRET and VAT number cross-check errors to their fields."""
    if not siren:
        return
    siret, vat_number = cleaned.get("siret"), cleaned.get("vat_number")
    if siret:
        try:
            validators.check_siret_matches_siren(siret, siren)
        except ValidationError as error:
            form.add_error("siret", error)
    if vat_number:
        try:
            validators.check_vat_number_matches_siren(vat_number, siren)
        except ValidationError as error:
            form.add_error("vat_number", error)


def check_french_postcode(form: forms.BaseForm, cleaned: dict[str, Any], field: str, country: str) -> None:
    """Check the postcode of an address in France (5 digits) and store it without spaces."""
    postcode = cleaned.get(field) or ""
    if country != "FR" or not postcode:
        return
    try:
        cleaned[field] = validators.clean_french_postcode(postcode)
    except ValidationError as error:
        form.add_error(field, error)


def parse_date(raw: str) -> datetime.date:
    """Read a date typed as 2026-12-04 (the date picker) or 04/12/2026; raise a French error naming it."""
    text = raw.strip()
    for pattern in DATE_FORMATS:
        try:
            found = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007  (a calendar date, no time)
        except ValueError:
            continue
        if not FIRST_DATE <= found <= LAST_DATE:
            raise forms.ValidationError(
                _("La date « %(value)s » est hors limites : saisissez une date entre le %(first)s et le %(last)s.")
                % {"value": raw, "first": format_date(FIRST_DATE), "last": format_date(LAST_DATE)},
                code="range",
            )
        return found
    if WELL_FORMED_DATE.match(text):
        # The format is right but the calendar has no such day: 31/02, 29/02 of a common year.
        raise forms.ValidationError(
            _("La date « %(value)s » n'existe pas dans le calendrier : vérifiez le jour et le mois.") % {"value": raw},
            code="calendar",
        )
    raise forms.ValidationError(
        _("La date « %(value)s » n'est pas valide : saisissez-la au format JJ/MM/AAAA, par exemple 04/12/2026.")
        % {"value": raw},
        code="format",
    )


class DateField(forms.DateField):
    """A date typed as 2026-12-04 (the date picker) or 04/12/2026, with errors that name the typed value.

    Django's own field returns « Saisissez une date valide. » for every
    mistake. This one names the problem: the format, the calendar or the range.
    """

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return parse_date(str(value))
