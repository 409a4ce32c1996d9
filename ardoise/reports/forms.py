"""The filters of the report pages, read from the query string: period, date, customer, currency, grouping."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_date
from ardoise.core.forms import parse_date
from ardoise.customers.models import Customer
from ardoise.reports.models import CustomerAccount
from ardoise.reports.periods import Grouping, Period, Preset, preset_period

CUSTOM = "personnalisee"
# A report over more than this many years is almost always a typing mistake (2062 for 2026).
MAX_PERIOD_YEARS = 10


# Above this many customers, the customer filter is a text field rather than a list.
CUSTOMERS_LISTED = 300
# How many of the customers matching a typed name the error message lists.
NAMES_SHOWN = 5


CHOSEN = re.compile(r"\(n°\s*(\d+)\)\s*$")


def customer_label(customer: Customer) -> str:
    """Return how the text filter shows a chosen customer: its name and number, found again as typed."""
    return "%s (n° %s)" % (customer.name, customer.pk)


def _folded(text: str) -> str:
    """Return ``text`` without accents, case or typographic apostrophes, for matching typed names."""
    text = text.replace("\u2019", "'").replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).casefold().split())


def find_customer(customers: Any, text: str) -> Customer:
    """Return the customer ``text`` names: « Name (n° 12) » as the filter shows it, a number, or a name.

    A name is matched without accents or case: the one customer whose name
    it is, else the only one whose name contains it. Raise a French error
    naming the text when no customer matches, or when several do: it lists a
    few of them, each with its number, which can be typed instead.
    """
    chosen = CHOSEN.search(text)
    number = None
    if chosen:
        number = chosen.group(1)
    elif text.isdigit():
        number = text
    if number is not None:
        customer = customers.filter(pk=int(number)).first()
        if customer is not None:
            return customer
        if chosen:
            raise forms.ValidationError(
                _("Le client n° %(value)s est introuvable : effacez le champ Client, puis tapez son nom.")
                % {"value": number}
            )
    expected = _folded(text)
    names = list(customers.order_by("name", "pk").values_list("pk", "name"))
    found = [pk for pk, name in names if _folded(name) == expected]
    if len(found) != 1:
        found = found or [pk for pk, name in names if expected in _folded(name)]
    if len(found) == 1:
        return customers.get(pk=found[0])
    if not found:
        raise forms.ValidationError(
            _(
                "Aucun client ne correspond à « %(value)s » : vérifiez l'orthographe, ou tapez une partie du nom "
                "ou le n° du client."
            )
            % {"value": text}
        )
    labels = dict(names)
    listed = ", ".join("%s (n° %s)" % (labels[pk], pk) for pk in found[:NAMES_SHOWN])
    if len(found) > NAMES_SHOWN:
        listed += _(" et %(count)s autres") % {"count": len(found) - NAMES_SHOWN}
    raise forms.ValidationError(
        _("%(count)s clients correspondent à « %(value)s » : %(names)s. Précisez le nom, ou tapez le n° du client.")
        % {"count": len(found), "value": text, "names": listed}
    )


class ReportFilters(forms.Form):
    """Every filter a report page may show; ``used`` names those of the page, the others are ignored."""

    periode = forms.ChoiceField(label=gettext_lazy("Période"), required=False)
    # Longer than a date, so that a mistyped one (a five-digit year) gets parse_date's message.
    du = forms.CharField(label=gettext_lazy("Du"), required=False, max_length=30)
    au = forms.CharField(label=gettext_lazy("Au"), required=False, max_length=30)
    date = forms.CharField(label=gettext_lazy("Au"), required=False, max_length=30)
    # A customer's id from the list, or, in an organisation with too many customers to list, a name typed in.
    client = forms.CharField(label=gettext_lazy("Client"), required=False, max_length=200)
    devise = forms.CharField(label=gettext_lazy("Devise"), required=False, max_length=3)
    regroupement = forms.ChoiceField(label=gettext_lazy("Regrouper par"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        organisation: Any,
        today: datetime.date,
        used: tuple[str, ...],
        default_preset: str = Preset.LAST_12_MONTHS,
        groupings: Sequence[tuple[str, Any]] = tuple(Grouping.choices),
        until_today: bool = False,
    ) -> None:
        super().__init__(data)
        self.organisation = organisation
        self.today = today
        self.used = used
        self.default_preset = default_preset
        # A preset period ("Ce mois-ci") ends today at the latest, for the reports that state a balance at its end.
        self.until_today = until_today
        self.default_grouping = groupings[0][0]
        self._choice_field("periode").choices = [*Preset.choices, (CUSTOM, _("Dates choisies ci-dessous"))]
        self._choice_field("regroupement").choices = list(groupings)

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    # Field by field

    def clean_du(self) -> datetime.date | None:
        return self._optional_date("du")

    def clean_au(self) -> datetime.date | None:
        return self._optional_date("au")

    def clean_date(self) -> datetime.date | None:
        return self._optional_date("date")

    def _optional_date(self, name: str) -> datetime.date | None:
        raw = self.cleaned_data.get(name, "")
        return parse_date(raw) if raw and name in self._used_fields() else None

    def clean_client(self) -> Customer | None:
        raw = self.cleaned_data.get("client", "").strip()
        if not raw or "customer" not in self.used:
            return None
        customers = Customer.objects.filter(organisation=self.organisation)
        if self.typed_customer:
            return find_customer(customers, raw)
        customer = customers.filter(pk=int(raw)).first() if raw.isdigit() else None
        if customer is None:
            raise forms.ValidationError(
                _("Le client n° %(value)s est introuvable : choisissez un client dans la liste.") % {"value": raw}
            )
        return customer

    @cached_property
    def typed_customer(self) -> bool:
        """Tell whether the customer filter is a text field: the organisation has too many customers to list."""
        customers = Customer.objects.filter(organisation=self.organisation).order_by().values("pk")
        return customers[CUSTOMERS_LISTED : CUSTOMERS_LISTED + 1].exists()

    def clean_devise(self) -> str:
        raw = self.cleaned_data.get("devise", "").strip().upper() or "EUR"
        if "currency" in self.used and raw not in self.currencies():
            raise forms.ValidationError(
                _("Aucun document en %(value)s : choisissez une devise de la liste (%(choices)s).")
                % {"value": raw, "choices": ", ".join(self.currencies())}
            )
        return raw

    def clean_regroupement(self) -> str:
        return self.cleaned_data.get("regroupement") or self.default_grouping

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "period" in self.used and not self.errors:
            cleaned["period"] = self._period(cleaned)
        return cleaned

    def _period(self, cleaned: dict[str, Any]) -> Period | None:
        start, end = cleaned.get("du"), cleaned.get("au")
        preset = cleaned.get("periode") or ""
        if preset and preset != CUSTOM:
            period = self._preset_period(preset)
            # Dates typed over those of the preset win: the form shows the preset's dates, and
            # sends them back unchanged unless the user edited one.
            typed = (start or period.start, end or period.end)
            if not (start or end) or typed == (period.start, period.end):
                return period
            start, end = typed
        if not (start or end):
            return self._preset_period(self.default_preset)
        if start is None or end is None:
            self.add_error("du" if start is None else "au", _("Indiquez les deux dates de la période, du et au."))
            return None
        if end < start:
            self.add_error(
                "au",
                _("La fin de la période (%(end)s) précède son début (%(start)s) : inversez les deux dates.")
                % {"end": format_date(end), "start": format_date(start)},
            )
            return None
        if end.year - start.year > MAX_PERIOD_YEARS:
            self.add_error(
                "au",
                _("La période dépasse %(years)s ans : vérifiez l'année des deux dates.") % {"years": MAX_PERIOD_YEARS},
            )
            return None
        return Period(start, end)

    def _preset_period(self, preset: str) -> Period:
        period = preset_period(preset, self.today)
        return period.until(self.today) if self.until_today else period

    def _used_fields(self) -> set[str]:
        names = set()
        if "period" in self.used:
            names |= {"du", "au"}
        if "as_of" in self.used:
            names.add("date")
        return names

    @property
    def selected_preset(self) -> str:
        """Return the preset the period list shows as chosen: the one asked for, else « dates chosen »."""
        asked = self.data.get("periode", "")
        period = self.cleaned_data.get("period") if self.is_valid() else None
        if asked and asked != CUSTOM and period is not None and period != self._preset_period(asked):
            return CUSTOM
        if asked:
            return asked
        return CUSTOM if self.data.get("du") or self.data.get("au") else self.default_preset

    # What the view reads once the form is valid

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]

    @property
    def as_of(self) -> datetime.date:
        return self.cleaned_data.get("date") or self.today

    @property
    def customer(self) -> Customer | None:
        return self.cleaned_data.get("client")

    @property
    def currency(self) -> str:
        return self.cleaned_data.get("devise") or "EUR"

    @property
    def grouping(self) -> str:
        return self.cleaned_data["regroupement"]

    def currencies(self) -> list[str]:
        """Return EUR and every other currency the organisation issued a document in."""
        if not hasattr(self, "_currencies"):
            # One account per customer and currency that has a document: far fewer rows than the documents.
            used = CustomerAccount.objects.filter(organisation=self.organisation).exclude(currency="EUR")
            others = sorted(set(used.order_by().values_list("currency", flat=True).distinct()))
            self._currencies = ["EUR", *others]
        return self._currencies

    def query_string(self) -> str:
        """Return the valid filters as a query string, to keep them in export and page links."""
        from urllib.parse import urlencode

        values: dict[str, str] = {}
        if "period" in self.used and self.cleaned_data.get("period"):
            values["du"] = self.period.start.isoformat()
            values["au"] = self.period.end.isoformat()
        if "as_of" in self.used:
            values["date"] = self.as_of.isoformat()
        if "customer" in self.used and self.customer is not None:
            values["client"] = str(self.customer.pk)
        if "currency" in self.used and self.currency != "EUR":
            values["devise"] = self.currency
        if "grouping" in self.used:
            values["regroupement"] = self.grouping
        return urlencode(values)
