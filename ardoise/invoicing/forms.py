"""Forms of the draft invoice editor: the invoice header, its lines, and its allowances and charges on the total."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.accounts.models import Organisation
from ardoise.catalogue.models import Product, ProductKind
from ardoise.core import forms as core_forms
from ardoise.core.forms import DateField
from ardoise.core.money import Adjustment, VatKey, currency_decimals, is_currency_code, quantize
from ardoise.core.payment_term_forms import clean_payment_term
from ardoise.core.reasons import ALLOWANCE_REASONS, CHARGE_REASONS, reason_label
from ardoise.core.units import UNIT_CHOICES
from ardoise.core.vat import CATEGORY_EXEMPTIONS, EXEMPTIONS, LINE_VAT_RATE_CHOICES, category_for, exemption_for_kind
from ardoise.customers.models import Customer
from ardoise.invoicing.documents import adjustment_from_json, adjustment_to_json
from ardoise.invoicing.exceptions import SeriesInUseError
from ardoise.invoicing.models import DiscountKind, Invoice, InvoiceLine, NumberingSeries, SeriesKind
from ardoise.invoicing.presentation import LineTerms, imported_line_terms

ZERO = Decimal("0")
HUNDRED = Decimal("100")
MAX_PAYMENT_TERMS_DAYS = 60

# Spaces people type or paste as thousands separators: plain, no-break and narrow no-break.
_GROUPING_SPACES = re.compile(r"[ \u00a0\u202f]")


def plain_decimal(value: Decimal, min_places: int = 0) -> str:
    """Write a decimal for an input field: "1234,5" with at least ``min_places`` decimals, no grouping."""
    exponent = value.normalize().as_tuple().exponent
    significant = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = max(min_places, significant)
    return format(value.quantize(Decimal(1).scaleb(-places)), "f").replace(".", ",")


class DecimalInput(forms.TextInput):
    """A text input for decimals shown the French way, with the numeric keypad on phones."""

    def __init__(self, attrs: dict[str, Any] | None = None, min_places: int = 0) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.min_places = min_places

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            return plain_decimal(value, self.min_places)
        return super().format_value(value)


_PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class FrenchDecimalField(forms.DecimalField):
    """A decimal field that accepts "1 234,56" as well as "1234.56"."""

    widget = DecimalInput

    def to_python(self, value: Any) -> Any:
        typed = value
        if isinstance(value, str):
            value = _GROUPING_SPACES.sub("", value.strip()).replace(",", ".")
        try:
            # Decimal() reads « 1e2 » as 100 and « NaN » as a number: neither is a quantity or a price.
            if isinstance(value, str) and value and not _PLAIN_DECIMAL.fullmatch(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "invalid":
                raise
            # Django's message does not show what was typed; a line of the editor has several numbers.
            raise forms.ValidationError(
                _("« %(value)s » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."),
                code="invalid",
                params={"value": str(typed).strip()},
            ) from None


def price_field(label: Any, help_text: Any) -> FrenchDecimalField:
    """Return an optional unit price field of a line: positive, up to 6 decimals."""
    return FrenchDecimalField(
        label=label,
        max_digits=20,
        decimal_places=6,
        min_value=ZERO,
        required=False,
        widget=DecimalInput(min_places=2),
        help_text=help_text,
    )


class DateInput(forms.DateInput):
    """The browser's date picker; it sends ISO dates whatever the user's locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def keep_current_rate(field: forms.Field, rate: Decimal | None) -> None:
    """Offer a rate that is not French, such as the 25 % of an imported Danish invoice, when it is the current one."""
    if rate is None:
        return
    value = str(quantize(rate, 2))
    choices = list(field.choices)  # type: ignore[attr-defined]
    if value not in {choice for choice, _label in choices}:
        field.choices = [*choices, (value, "%s %%" % plain_decimal(rate.normalize()))]  # type: ignore[attr-defined]


# The largest exchange rate accepted, in euros for one unit of the invoice's currency.
MAX_EXCHANGE_RATE = Decimal("10000")


def exemption_choices(organisation: Organisation) -> list[tuple[str, Any]]:
    """Return the exemption reasons a 0 % line or charge may give."""
    # The art. 293 B wording belongs to franchise en base businesses only.
    if organisation.is_franchise:
        return [("franchise", EXEMPTIONS["franchise"].wording)]
    choices: list[tuple[str, Any]] = [("", _("Choisissez le motif"))]
    # A zero-rated supply has no wording (EN 16931 forbids an exemption reason for category Z).
    return choices + [
        (key, exemption.wording or _("Taux zéro (sans motif d'exonération)"))
        for key, exemption in EXEMPTIONS.items()
        if key != "franchise"
    ]


# The currencies offered first in the editor; any other ISO 4217 code can be typed.
USUAL_CURRENCIES = [
    "EUR",
    "USD",
    "GBP",
    "CHF",
    "CAD",
    "JPY",
    "CNY",
    "AUD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "MAD",
    "XOF",
    "XPF",
]


class DraftForm(forms.ModelForm):
    """The invoice header: customer, dates, payment terms, currency, references and document discount."""

    currency = forms.CharField(
        label=_("Devise"),
        max_length=3,
        initial="EUR",
        required=False,
        widget=forms.TextInput(attrs={"list": "currency-codes", "autocomplete": "off", "size": 4}),
        help_text=_("Code ISO 4217 à trois lettres : EUR, USD, GBP, CHF, JPY…"),
    )
    exchange_rate = core_forms.FrenchDecimalField(
        label=_("Taux de change (1 unité de la devise = x EUR)"),
        max_digits=18,
        decimal_places=6,
        required=False,
        help_text=_(
            "Obligatoire pour émettre une facture dans une autre devise que l'euro : la TVA est aussi "
            "indiquée en euros. Par exemple 0,921456 pour 1 USD = 0,921456 EUR."
        ),
    )

    discount_value = FrenchDecimalField(
        label=_("Remise globale"),
        max_digits=14,
        decimal_places=2,
        min_value=ZERO,
        initial=ZERO,
        required=False,
        widget=DecimalInput(min_places=2),
    )

    prepaid_amount = core_forms.FrenchDecimalField(
        label=_("Acomptes déjà versés (TTC)"),
        max_digits=14,
        decimal_places=2,
        min_value=ZERO,
        required=False,
        help_text=_("Déduits du total TTC pour obtenir le net à payer."),
    )
    rounding_amount = core_forms.FrenchDecimalField(
        label=_("Arrondi du net à payer"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_(
            "Ajouté au net à payer, par exemple -0,02 pour arrondir aux 5 centimes. Négatif avec un signe moins."
        ),
    )

    class Meta:
        model = Invoice
        fields = [
            "customer",
            "series",
            "delivery_date",
            "payment_terms_kind",
            "payment_terms_days",
            "payment_terms_fixed_date",
            "payment_installments",
            "purchase_order",
            "currency",
            "exchange_rate",
            "prepaid_amount",
            "rounding_amount",
            "notes",
            "discount_kind",
            "discount_value",
            "discount_reason",
        ]
        # Date errors name the typed value and tell whether the format or the calendar is wrong.
        field_classes = {"delivery_date": DateField, "payment_terms_fixed_date": DateField}
        widgets = {
            "delivery_date": DateInput(),
            "payment_terms_fixed_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "payment_terms_days": forms.NumberInput(attrs={"min": 0, "max": MAX_PAYMENT_TERMS_DAYS}),
        }
        labels = {"discount_kind": _("Type de remise globale"), "series": _("Séquence de numérotation")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        customer_field = self.fields["customer"]
        customer_field.queryset = Customer.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        customer_field.empty_label = _("Choisissez un client")  # type: ignore[attr-defined]
        self._set_series_choices(organisation)
        self.fields["payment_terms_days"].widget.attrs["placeholder"] = str(organisation.payment_terms_days)
        self.fields["payment_terms_days"].help_text = _(
            "Laissez vide pour appliquer le délai du client, ou à défaut celui de l'entreprise (%(days)s jours). "
            "60 jours au plus (art. L441-10 du Code de commerce)."
        ) % {"days": organisation.payment_terms_days}

    def _set_series_choices(self, organisation: Organisation) -> None:
        """Offer the organisation's series when there are several; otherwise issuing uses the default one."""
        from ardoise.invoicing.series import invoice_series_choices

        if self.instance.is_credit_note:
            series = NumberingSeries.objects.filter(organisation=organisation, kind=SeriesKind.INVOICE).order_by(
                "-is_default", "name", "id"
            )
        else:
            # A series dedicated to credit notes would give an invoice a credit note number.
            series = invoice_series_choices(organisation)
        if series.count() < 2:
            del self.fields["series"]
            return
        field = cast(forms.ModelChoiceField, self.fields["series"])
        field.queryset = series
        field.required = True
        field.empty_label = None
        field.help_text = _("La facture recevra le numéro suivant de cette séquence lors de son émission.")
        if self.instance.series_id is None:
            self.initial["series"] = series.filter(is_default=True).values_list("pk", flat=True).first()

    def clean_payment_terms_days(self) -> int | None:
        days = self.cleaned_data.get("payment_terms_days")
        if days is not None and days > MAX_PAYMENT_TERMS_DAYS:
            raise forms.ValidationError(
                _(
                    "Le délai de paiement saisi (%(days)s jours) dépasse le maximum légal de 60 jours "
                    "après la date d'émission (art. L441-10 du Code de commerce). Saisissez 60 ou moins."
                ),
                params={"days": days},
                code="max_value",
            )
        return days

    def clean_discount_value(self) -> Decimal:
        return self.cleaned_data.get("discount_value") or ZERO

    def clean_prepaid_amount(self) -> Decimal:
        return self._kept_amount("prepaid_amount")

    def clean_rounding_amount(self) -> Decimal:
        return self._kept_amount("rounding_amount")

    def _kept_amount(self, name: str) -> Decimal:
        # A page opened before the field existed posts nothing: the stored amount stays.
        if self.add_prefix(name) not in self.data:
            return getattr(self.instance, name)
        return self.cleaned_data.get(name) or ZERO

    def clean_currency(self) -> str:
        # Left empty, or not posted by a page opened before the field existed: keep the current currency.
        code: str = self.cleaned_data["currency"].strip().upper() or self.instance.currency or "EUR"
        if not is_currency_code(code):
            raise forms.ValidationError(
                _("« %(value)s » n'est pas un code de devise ISO 4217. Saisissez par exemple EUR, USD ou CHF."),
                params={"value": self.cleaned_data["currency"]},
                code="invalid_currency",
            )
        return code

    def clean_exchange_rate(self) -> Decimal | None:
        rate: Decimal | None = self.cleaned_data.get("exchange_rate")
        if rate is not None and rate <= ZERO:
            raise forms.ValidationError(
                _("Le taux de change doit être supérieur à zéro (%(value)s saisi)."),
                params={"value": core_forms.format_decimal_input(rate, 0)},
                code="min_value",
            )
        # No currency unit is worth anywhere near 10 000 euros: such a rate is a typo or a reversed rate.
        if rate is not None and rate > MAX_EXCHANGE_RATE:
            raise forms.ValidationError(
                _(
                    "Le taux de change %(value)s semble faux : il donne la valeur en euros d'une unité de la "
                    "devise, par exemple 0,92 pour 1 USD = 0,92 EUR."
                ),
                params={"value": core_forms.format_decimal_input(rate, 0)},
                code="max_value",
            )
        return rate

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind = cleaned.get("discount_kind")
        value = cleaned.get("discount_value") or ZERO
        # The draft would be issued today: its rule is checked against today's legal maximum.
        clean_payment_term(self, issue_date=timezone.localdate())
        if cleaned.get("currency") == "EUR":
            # A rate from euros to euros means nothing; a stale one would be printed.
            cleaned["exchange_rate"] = None
        places = currency_decimals(cleaned.get("currency") or "EUR")
        for name in ("prepaid_amount", "rounding_amount"):
            amount = cleaned.get(name)
            if amount is not None and amount != quantize(amount, places):
                self.add_error(
                    name,
                    _("%(value)s a trop de décimales pour la devise %(currency)s : %(places)s au plus.")
                    % {
                        "value": core_forms.format_decimal_input(amount, 0),
                        "currency": cleaned.get("currency"),
                        "places": places,
                    },
                )
        if kind == DiscountKind.PERCENT and value > HUNDRED:
            self.add_error(
                "discount_value",
                _("Une remise en pourcentage ne peut pas dépasser 100 %% (%(value)s %% saisis).") % {"value": value},
            )
        return cleaned


# Maximum number of allowance or charge rows of one line in the editor.
MAX_LINE_ADJUSTMENTS = 20


class LineAdjustmentForm(forms.Form):
    """One allowance or charge of a line (EN 16931 BG-27, BG-28), beside the simple « Remise (%) ».

    It applies to the line's gross amount (quantity x price) and carries a
    reason text, a reason code, or both (BR-42, BR-44).
    """

    kind = forms.ChoiceField(label=_("Type"), choices=[("allowance", _("Remise")), ("charge", _("Frais"))])
    reason_code = forms.ChoiceField(label=_("Motif (code)"), required=False)
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)
    amount = core_forms.FrenchDecimalField(
        label=_("Montant HT"), max_digits=14, decimal_places=2, min_value=ZERO, required=False
    )
    percent = core_forms.FrenchDecimalField(
        label=_("ou pourcentage (%)"), max_digits=5, decimal_places=2, min_value=ZERO, max_value=HUNDRED, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = reason_code_choices(self.initial.get("reason_code", ""))  # type: ignore[attr-defined]

    def is_blank(self) -> bool:
        """Tell whether the row was left empty: it is then ignored."""
        names = ("reason_code", "reason", "amount", "percent")
        return not any(str(self[name].value() or "").strip() for name in names)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # The editor always shows one empty row per line; an empty row is ignored, never an error.
        if self.errors or self.is_blank():
            return cleaned
        amount, percent = cleaned.get("amount"), cleaned.get("percent")
        if amount and percent:
            self.add_error("percent", _("Indiquez un montant ou un pourcentage, pas les deux."))
        elif not amount and not percent:
            self.add_error("amount", _("Indiquez un montant HT supérieur à zéro, ou un pourcentage de la ligne."))
        code, is_charge = cleaned.get("reason_code", ""), cleaned.get("kind") == "charge"
        if code and not _REASON_CODE_PATTERNS[CHARGE if is_charge else ALLOWANCE].match(code):
            self.add_error(
                "reason_code",
                _("Le code « %(code)s » est un code de %(other)s : choisissez un code de %(kind)s ou changez le type.")
                % {
                    "code": code,
                    "other": _("remise") if is_charge else _("frais"),
                    "kind": _("frais") if is_charge else _("remise"),
                },
            )
        if not code and not cleaned.get("reason"):
            self.add_error(
                "reason", _("Indiquez le motif, par exemple « Remise fidélité » : il est imprimé sur la facture.")
            )
        return cleaned

    def to_adjustment(self) -> Adjustment:
        """Return the row as an ``Adjustment``; the form must be valid and not blank."""
        cleaned = self.cleaned_data
        is_charge = cleaned["kind"] == "charge"
        code = cleaned["reason_code"]
        return Adjustment(
            is_charge=is_charge,
            amount=cleaned["amount"] or None,
            percent=None if cleaned["amount"] else cleaned["percent"],
            reason=cleaned["reason"] or reason_label(code, is_charge),
            reason_code=code,
        )


def reason_code_choices(current: str = "") -> list[tuple[str, Any]]:
    """Return the reason codes offered on a line's allowance or charge, keeping ``current`` when unknown."""
    allowances = [(code, "%s (%s)" % (label, code)) for code, label in ALLOWANCE_REASONS.items()]
    charges = [(code, "%s (%s)" % (label, code)) for code, label in CHARGE_REASONS.items()]
    choices: list[tuple[Any, Any]] = [("", _("Aucun code")), (_("Remises"), allowances), (_("Frais"), charges)]
    if current and current not in ALLOWANCE_REASONS and current not in CHARGE_REASONS:
        choices.append((current, current))
    return choices


def line_adjustment_initial(raw: dict[str, Any]) -> dict[str, Any]:
    """Return the editor row of a stored line allowance or charge, typed here or imported."""
    adjustment = adjustment_from_json(raw)
    return {
        "kind": "charge" if adjustment.is_charge else "allowance",
        "reason_code": adjustment.reason_code,
        "reason": adjustment.reason,
        "amount": adjustment.amount,
        # An imported row states its amount; its percentage only explains it.
        "percent": None if adjustment.amount is not None else adjustment.percent,
    }


class LineForm(forms.ModelForm):
    """One invoice line, typed freely or filled from the catalogue.

    ``id`` and ``DELETE`` are declared here, although the inline formset adds
    its own, so that a line rendered outside a formset (a new line added with
    htmx, or a line filled from the catalogue) posts the same field names.
    """

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    DELETE = forms.BooleanField(label=_("Supprimer"), required=False)
    quantity = FrenchDecimalField(
        label=_("Quantité"), max_digits=16, decimal_places=4, initial=Decimal("1"), widget=DecimalInput(min_places=0)
    )
    unit_price = price_field(_("Prix unitaire HT"), _("Jusqu'à 6 décimales, virgule ou point."))
    # Advanced price terms. Each keeps the stored value when a page without it posts the line.
    gross_price = price_field(_("Prix brut HT"), _("Prix catalogue avant rabais, si vous voulez l'imprimer."))
    price_discount = price_field(
        _("Rabais sur le prix"), _("Avec le prix brut : le prix unitaire HT devient prix brut − rabais.")
    )
    base_quantity = FrenchDecimalField(
        label=_("Prix pour (quantité de base)"),
        max_digits=16,
        decimal_places=4,
        required=False,
        widget=DecimalInput(min_places=0),
        help_text=_("Par exemple 1000 pour un prix au mille. 1 par défaut."),
    )
    vat_rate = forms.TypedChoiceField(
        label=_("TVA"),
        choices=[(str(rate), label) for rate, label in LINE_VAT_RATE_CHOICES],
        coerce=Decimal,
        initial="20.00",
    )
    discount_percent = FrenchDecimalField(
        label=_("Remise (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=ZERO,
        max_value=HUNDRED,
        initial=ZERO,
        required=False,
        widget=DecimalInput(min_places=0),
    )
    kind = forms.ChoiceField(label=_("Nature"), choices=ProductKind.choices, initial=ProductKind.SERVICE)

    # The line's amount excluding VAT, set by the editor's live totals when the line can be counted.
    net_amount: Decimal | None = None

    class Meta:
        model = InvoiceLine
        fields = [
            "product",
            "name",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "vat_rate",
            "exemption",
            "discount_percent",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "unit": forms.Select(choices=UNIT_CHOICES),
        }
        labels = {"product": _("Article du catalogue"), "exemption": _("Motif d'exonération")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self._scope_products()
        self._restrict_exemptions()
        self._show_price_terms()
        keep_current_rate(self.fields["vat_rate"], self.instance.vat_rate if self.instance.pk else None)
        self.adjustment_forms = self._adjustment_forms()
        self._watch_kind()
        if self.instance.pk:
            self.initial.setdefault("kind", ProductKind.SERVICE if self.instance.is_service else ProductKind.GOODS)
            self.initial.setdefault("id", self.instance.pk)
        if organisation.is_franchise:
            # Franchise en base: no VAT is charged, the exemption is forced on save.
            self.fields["vat_rate"].disabled = True
            self.fields["vat_rate"].initial = "0.00"
            self.initial["vat_rate"] = "0.00"
            self.fields["exemption"].disabled = True
            self.fields["exemption"].required = False

    def _scope_products(self) -> None:
        products = Product.objects.filter(organisation=self.organisation).filter(
            Q(is_active=True) | Q(pk=self.instance.product_id or 0)
        )
        field = self.fields["product"]
        field.queryset = products  # type: ignore[attr-defined]
        field.empty_label = _("Saisie libre")  # type: ignore[attr-defined]
        # Choosing a product requests the line filled from the catalogue, through htmx and without a script of ours.
        field.widget.attrs.update(
            {
                "hx-get": reverse("invoicing:line_fill"),
                # The customer's VAT situation sets the line's VAT (autoliquidation, export…).
                "hx-include": "closest fieldset, #id_customer",
                "hx-target": "closest fieldset",
                "hx-swap": "outerHTML",
                "hx-vals": json.dumps({"prefix": self.prefix}),
            }
        )

    def _watch_kind(self) -> None:
        # Changing the nature requests the line's VAT for the new nature (goods K or G, services AE or 259-1).
        self.fields["kind"].widget.attrs.update(
            {
                "hx-get": reverse("invoicing:line_kind"),
                "hx-include": "closest fieldset, #id_customer",
                "hx-swap": "none",
                "hx-vals": json.dumps({"prefix": self.prefix}),
            }
        )

    def _restrict_exemptions(self) -> None:
        self.fields["exemption"].choices = exemption_choices(self.organisation)  # type: ignore[attr-defined]

    def _show_price_terms(self) -> None:
        line = self.instance
        if line.gross_price is not None:
            self.initial.setdefault("gross_price", line.gross_price)
            self.initial.setdefault("price_discount", line.gross_price - (line.unit_price or ZERO))
        if line.base_quantity != 1:
            # Left blank for a price per unit, so that a new line stays unchanged until typed in.
            self.initial.setdefault("base_quantity", line.base_quantity)

    def _posted(self, name: str) -> bool:
        return self.is_bound and self.add_prefix(name) in self.data

    def _adjustment_forms(self) -> list[LineAdjustmentForm]:
        """Build the line's allowance and charge rows: the stored ones, then one blank row.

        The page posts how many rows it shows (``adjustment_rows``); a page
        that does not post it keeps the stored rows as they are.
        """
        stored = [line_adjustment_initial(raw) for raw in self.instance.extra_adjustments]
        rows = len(stored) + 1
        if self._posted("adjustment_rows"):
            posted = str(self.data.get(self.add_prefix("adjustment_rows"), ""))
            rows = min(int(posted), MAX_LINE_ADJUSTMENTS) if posted.isdigit() else rows
        data = self.data if self._posted("adjustment_rows") else None
        return [
            LineAdjustmentForm(
                data,
                prefix="%s-adjustment-%d" % (self.prefix, index),
                initial=stored[index] if index < len(stored) else {"kind": "allowance"},
            )
            for index in range(rows)
        ]

    @property
    def adjustment_rows_name(self) -> str:
        return self.add_prefix("adjustment_rows")

    @property
    def has_advanced_terms(self) -> bool:
        """Tell whether the advanced panel has something to show, so that it opens by itself."""
        line = self.instance
        has_rows = any(not row.is_blank() for row in self.adjustment_forms)
        has_errors = any(self.errors.get(name) for name in ("gross_price", "price_discount", "base_quantity"))
        return has_rows or has_errors or line.gross_price is not None or line.base_quantity != 1

    def clean_discount_percent(self) -> Decimal:
        return self.cleaned_data.get("discount_percent") or ZERO

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("La quantité ne peut pas être nulle : supprimez la ligne si elle est vide."))
        return quantity

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        self.instance.is_service = cleaned.get("kind", ProductKind.SERVICE) == ProductKind.SERVICE
        self._follow_kind(cleaned)
        self._forget_replaced_terms(cleaned)
        self._clean_price_terms(cleaned)
        self._clean_adjustment_rows()
        rate = cleaned.get("vat_rate")
        if not self.organisation.is_franchise and rate == ZERO and not cleaned.get("exemption"):
            self.add_error(
                "exemption",
                _("Avec un taux de 0 %, indiquez le motif d'exonération : la mention est obligatoire sur la facture."),
            )
        return cleaned

    def _clean_price_terms(self, cleaned: dict[str, Any]) -> None:
        """Check the gross price, price discount and base quantity, and set the net price from them.

        EN 16931 defines the net price as the gross price minus the price
        discount (BT-146 = BT-148 - BT-147), both per base quantity (BT-149).
        """
        gross, discount, price = cleaned.get("gross_price"), cleaned.get("price_discount"), cleaned.get("unit_price")
        if discount is not None and gross is None:
            self.add_error(
                "gross_price",
                _("Indiquez le prix brut HT auquel s'applique le rabais de %(discount)s.")
                % {"discount": plain_decimal(discount)},
            )
            return
        if gross is not None and discount is not None:
            if discount > gross:
                self.add_error(
                    "price_discount",
                    _("Le rabais (%(discount)s) dépasse le prix brut HT (%(gross)s) : le prix net serait négatif.")
                    % {"discount": plain_decimal(discount), "gross": plain_decimal(gross)},
                )
                return
            price = cleaned["unit_price"] = gross - discount
        if price is None:
            if "unit_price" not in self.errors:
                self.add_error("unit_price", _("Indiquez le prix unitaire HT, par exemple 65 ou 12,50."))
            return
        if gross is not None and gross < price:
            self.add_error(
                "gross_price",
                _(
                    "Le prix brut HT (%(gross)s) est inférieur au prix unitaire HT (%(price)s) : "
                    "augmentez-le ou videz-le."
                )
                % {"gross": plain_decimal(gross), "price": plain_decimal(price)},
            )
            return
        if self._posted("gross_price") or self._posted("price_discount"):
            self.instance.gross_price = gross
        self._clean_base_quantity(cleaned)

    def _clean_base_quantity(self, cleaned: dict[str, Any]) -> None:
        if not self._posted("base_quantity"):
            return
        base = cleaned.get("base_quantity")
        if base is not None and base <= ZERO:
            self.add_error(
                "base_quantity",
                _(
                    "La quantité de base doit être supérieure à zéro (%(value)s saisi) : "
                    "videz-la pour un prix à l'unité."
                )
                % {"value": plain_decimal(base)},
            )
            return
        self.instance.base_quantity = base or Decimal("1")

    def _clean_adjustment_rows(self) -> None:
        """Store the line's allowances and charges typed in the editor, or report the first wrong row."""
        if not self._posted("adjustment_rows"):
            return
        filled_rows = [row for row in self.adjustment_forms if not row.is_blank()]
        for position, row in enumerate(filled_rows, start=1):
            if not row.is_valid():
                field, errors = next(iter(row.errors.items()))
                label = row.fields[field].label if field in row.fields else ""
                self.add_error(
                    None,
                    _("Remise ou frais n° %(row)s de la ligne, %(field)s : %(error)s")
                    % {"row": position, "field": label, "error": " ".join(str(error) for error in errors)},
                )
                return
        self.instance.extra_adjustments = [adjustment_to_json(row.to_adjustment()) for row in filled_rows]

    def _follow_kind(self, cleaned: dict[str, Any]) -> None:
        """Swap autoliquidation and intra-EU supply to match the line's nature.

        An intra-EU supply (K) is a supply of goods, and the EU reverse charge
        the editor offers (AE) concerns services, so the nature decides.
        """
        exemption = cleaned.get("exemption") or ""
        followed = exemption_for_kind(exemption, self.instance.is_service)
        if followed != exemption:
            cleaned["exemption"] = followed
            self.instance.exemption_text = ""

    def _forget_replaced_terms(self, cleaned: dict[str, Any]) -> None:
        """Drop what an imported line carried when the user replaces it.

        The exemption wording follows the chosen exemption, so an imported
        reason (« DEBOURS ») is kept only while the exemption is unchanged. A
        catalogue product is priced per unit and has no imported terms.
        """
        if "exemption" in self.changed_data:
            self.instance.exemption_text = ""
        if "product" in self.changed_data and cleaned.get("product") is not None:
            self.instance.base_quantity = Decimal("1")
            self.instance.extra_adjustments = []

    def imported_terms(self) -> LineTerms | None:
        """Return the base quantity and allowances or charges kept from an imported file, shown read-only."""
        return imported_line_terms(self.instance)

    def is_marked_for_deletion(self) -> bool:
        """Tell whether the user ticked « Supprimer », reading the raw data of a form not validated yet."""
        if not self.is_bound:
            return bool(self.initial.get("DELETE"))
        return self.fields["DELETE"].widget.value_from_datadict(self.data, self.files, self.add_prefix("DELETE"))


class BaseLineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "organisation": self.organisation}


LineFormSet = forms.inlineformset_factory(
    Invoice,
    InvoiceLine,
    form=LineForm,
    formset=BaseLineFormSet,
    extra=0,
    can_delete=True,
    max_num=500,
    validate_max=True,
)
LINES_PREFIX = "lines"


ADJUSTMENTS_PREFIX = "adjustments"
ALLOWANCE = "allowance"
CHARGE = "charge"

# Reason codes kept from an imported file: UNTDID 5189 allowance codes are digits,
# UNTDID 7161 charge codes are letters. A code of the other kind would break BR-CL-19/20.
_REASON_CODE_PATTERNS = {ALLOWANCE: re.compile(r"^\d{1,3}$"), CHARGE: re.compile(r"^[A-Z]{1,3}$")}


class AdjustmentForm(forms.Form):
    """One allowance or charge on the invoice total (EN 16931 BG-20, BG-21).

    Each carries one VAT rate and category (BR-32, BR-37): it changes the
    base of that rate's VAT group, which exists even without a line at that rate.
    ``DELETE`` is declared for the same reason as on ``LineForm``.
    """

    kind = forms.ChoiceField(label=_("Type"), choices=[(ALLOWANCE, _("Remise")), (CHARGE, _("Frais"))], initial=CHARGE)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=200,
        error_messages={
            "required": _("Indiquez le motif, par exemple « Frais de port » : il est imprimé sur la facture.")
        },
    )
    amount = core_forms.FrenchDecimalField(
        label=_("Montant HT"), max_digits=14, decimal_places=2, min_value=ZERO, required=False
    )
    percent = core_forms.FrenchDecimalField(
        label=_("ou pourcentage (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=ZERO,
        max_value=HUNDRED,
        required=False,
    )
    vat_rate = forms.TypedChoiceField(
        label=_("TVA"),
        choices=[(str(rate), label) for rate, label in LINE_VAT_RATE_CHOICES],
        coerce=Decimal,
        initial="20.00",
    )
    exemption = forms.ChoiceField(label=_("Motif d'exonération"), required=False)
    reason_code = forms.CharField(required=False, max_length=3, widget=forms.HiddenInput)
    DELETE = forms.BooleanField(label=_("Supprimer"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["exemption"].choices = exemption_choices(organisation)  # type: ignore[attr-defined]
        current = self.initial.get("vat_rate")
        keep_current_rate(self.fields["vat_rate"], Decimal(current) if current else None)
        if organisation.is_franchise:
            # Franchise en base: no VAT on a charge either, as on the lines.
            for name, value in (("vat_rate", "0.00"), ("exemption", "franchise")):
                self.fields[name].disabled = True
                self.fields[name].initial = value
                self.initial[name] = value

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        self._check_amount(cleaned)
        if not self.organisation.is_franchise and cleaned.get("vat_rate") == ZERO and not cleaned.get("exemption"):
            self.add_error(
                "exemption",
                _("Avec un taux de 0 %, indiquez le motif d'exonération : la mention est obligatoire sur la facture."),
            )
        return cleaned

    def _check_amount(self, cleaned: dict[str, Any]) -> None:
        if "amount" in self.errors or "percent" in self.errors:
            return
        amount, percent = cleaned.get("amount"), cleaned.get("percent")
        if amount and percent:
            self.add_error(
                "percent",
                _("Indiquez un montant ou un pourcentage, pas les deux : videz le champ que vous n'utilisez pas."),
            )
        elif not amount and not percent:
            self.add_error(
                "amount", _("Indiquez un montant HT supérieur à zéro, ou un pourcentage des lignes au même taux.")
            )

    def is_marked_for_deletion(self) -> bool:
        """Tell whether the user ticked « Supprimer », reading the raw data of a form not validated yet."""
        return bool(self.fields["DELETE"].widget.value_from_datadict(self.data, self.files, self.add_prefix("DELETE")))

    def is_started(self) -> bool:
        """Tell whether the row is kept and not a blank row added and left empty."""
        return self.is_bound and not self.is_marked_for_deletion() and (not self.empty_permitted or self.has_changed())

    def to_json(self) -> dict[str, Any]:
        """Return the row as stored in ``Invoice.document_adjustments``; the form must be valid."""
        cleaned = self.cleaned_data
        rate, exemption = self._vat()
        adjustment = Adjustment(
            is_charge=cleaned["kind"] == CHARGE,
            amount=cleaned["amount"] or None,
            percent=None if cleaned["amount"] else cleaned["percent"],
            reason=cleaned["reason"],
            reason_code=self._kept_reason_code(),
            vat=VatKey(category_for(rate, exemption), rate),
        )
        # The exemption key lets the invoice state the reason of a 0 % charge that has no line at its rate.
        return {**adjustment_to_json(adjustment), "exemption": exemption}

    def _vat(self) -> tuple[Decimal, str]:
        if self.organisation.is_franchise:
            return ZERO, "franchise"
        rate: Decimal = self.cleaned_data["vat_rate"]
        return (rate, "") if rate > 0 else (rate, self.cleaned_data["exemption"])

    def _kept_reason_code(self) -> str:
        code: str = self.cleaned_data.get("reason_code", "")
        return code if _REASON_CODE_PATTERNS[self.cleaned_data["kind"]].match(code) else ""


def adjustment_initial(raw: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """Return the editor row of a stored allowance or charge, typed in Ardoise or imported.

    An imported one states its amount (BT-92, BT-99); its percentage and base
    only explain that amount, so the row shows the amount alone.
    """
    adjustment = adjustment_from_json(raw)
    vat = adjustment.vat or VatKey("S", Decimal("20"))
    exemption = raw.get("exemption") or _category_exemption(vat.category)
    return {
        "kind": CHARGE if adjustment.is_charge else ALLOWANCE,
        "reason": adjustment.reason,
        "amount": adjustment.amount,
        "percent": None if adjustment.amount is not None else adjustment.percent,
        "vat_rate": str(quantize(vat.rate, 2)),
        "exemption": "" if vat.rate > 0 else exemption,
        "reason_code": adjustment.reason_code,
    }


def _category_exemption(category: str) -> str:
    # An imported E group has no exemption key; « article 261 » is the editor's exempt choice, as for lines.
    return CATEGORY_EXEMPTIONS.get(category, "article_261" if category == "E" else "")


class BaseAdjustmentFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "organisation": self.organisation}

    def adjustments_json(self) -> list[dict[str, Any]]:
        """Return the rows that can be counted, in order; invalid ones are left out and reported."""
        return [form.to_json() for form in self.forms if form.is_started() and form.is_valid()]


# formset_factory() is typed as returning a plain BaseFormSet class; it returns a subclass of ``formset``.
AdjustmentFormSet = cast(
    type[BaseAdjustmentFormSet],
    forms.formset_factory(
        AdjustmentForm, formset=BaseAdjustmentFormSet, extra=0, can_delete=True, max_num=50, validate_max=True
    ),
)


def adjustment_formset(data: Any, invoice: Invoice, organisation: Organisation) -> BaseAdjustmentFormSet:
    """Bind the « Remises et frais sur le total » rows, or show the invoice's stored ones.

    A page opened before this section existed posts no rows: the formset stays
    unbound then, so that saving keeps the stored allowances and charges.
    """
    initial = [adjustment_initial(raw, organisation) for raw in invoice.document_adjustments]
    if data is None or "%s-TOTAL_FORMS" % ADJUSTMENTS_PREFIX not in data:
        return AdjustmentFormSet(initial=initial, prefix=ADJUSTMENTS_PREFIX, organisation=organisation)
    return AdjustmentFormSet(data, initial=initial, prefix=ADJUSTMENTS_PREFIX, organisation=organisation)


class SeriesForm(forms.ModelForm):
    """A numbering series: its pattern and reset policy are locked once it has issued a number."""

    class Meta:
        model = NumberingSeries
        fields = ["name", "kind", "pattern", "reset", "is_default"]
        labels = {"is_default": _("Séquence par défaut, utilisée par les nouvelles factures")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_used = self.instance.is_used()
        # Left out of a post (API, older pages), the kind stays the series' own: invoices for a new one.
        self.fields["kind"].required = False
        if self.instance.pk and self.instance.is_default:
            # Drafts without a series need a default one: the flag moves when another series takes it.
            self.fields["is_default"].disabled = True
            self.fields["is_default"].help_text = _(
                "Pour changer de séquence par défaut, choisissez-en une autre dans la liste des séquences."
            )
        if self.is_used:
            # The numbers already taken belong to one kind of document.
            self.fields["kind"].disabled = True
            locked = _(
                "Figé : cette séquence a déjà numéroté des factures. "
                "Pour changer de modèle, créez une nouvelle séquence."
            )
            self.fields["pattern"].widget.attrs["readonly"] = True
            self.fields["pattern"].help_text = locked
            self.fields["reset"].help_text = locked
            if not self.is_bound:
                reset = cast(forms.ChoiceField, self.fields["reset"])
                reset.choices = [(self.instance.reset, self.instance.get_reset_display())]

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or self.instance.kind

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        same_name = NumberingSeries.objects.filter(organisation_id=self.instance.organisation_id, name=name)
        if same_name.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("Une séquence nommée « %(name)s » existe déjà : choisissez un autre nom."), params={"name": name}
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        changed = {"pattern", "reset"} & set(self.changed_data)
        if self.is_used and changed:
            self.add_error("pattern", SeriesInUseError(self.instance).message)
        elif not self.is_used and cleaned.get("pattern") and not self.has_error("pattern"):
            from ardoise.invoicing.series import overlapping_prefix_error

            candidate = NumberingSeries(pk=self.instance.pk, organisation_id=self.instance.organisation_id)
            candidate.pattern = cleaned["pattern"]
            overlap = overlapping_prefix_error(candidate)
            if overlap:
                self.add_error("pattern", overlap)
        return cleaned

    def validate_unique(self) -> None:
        # ``clean_name`` checks the name, and ``save_series`` moves the default flag
        # from the previous default series, which the one-default constraint would reject here.
        return
