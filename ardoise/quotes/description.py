"""Read the JSON description of a quote (``ardoise quote create FILE.json``) into an unsaved draft.

The format is documented in docs/quotes.md. Every problem found is reported
at once, in French, naming the field (``lignes n° 2, vat_rate``), the value
and the fix, so that one run lists everything to correct in the file.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.catalogue.models import Product
from ardoise.core.money import Adjustment, VatKey
from ardoise.core.units import UNIT_CHOICES
from ardoise.core.vat import LINE_VAT_RATE_CHOICES, category_for
from ardoise.customers.models import Customer
from ardoise.invoicing.documents import adjustment_to_json
from ardoise.invoicing.forms import exemption_choices
from ardoise.invoicing.models import DiscountKind
from ardoise.quotes.models import Quote, QuoteKind, QuoteLine

FRENCH_RATES = [rate for rate, _label in LINE_VAT_RATE_CHOICES]
UNIT_CODES = [code for code, _label in UNIT_CHOICES]
TOP_LEVEL_KEYS = {
    "kind",
    "customer",
    "lines",
    "discount",
    "adjustments",
    "validity_date",
    "conditions",
    "notes",
    "deposit_percent",
    "auto_deposit_on_acceptance",
}
LINE_KEYS = {
    "product",
    "name",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "vat_rate",
    "discount_percent",
    "nature",
}
ADJUSTMENT_KEYS = {"kind", "reason", "amount", "percent", "vat_rate", "exemption"}
MAX_AMOUNT = Decimal("999999999999")
# The maximum number of « Remises et frais sur le total » rows, as in the editor (AdjustmentFormSet.max_num).
MAX_ADJUSTMENTS = 50


class DescriptionError(Exception):
    """The JSON description is invalid; ``problems`` lists each fault in French."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Description:
    quote: Quote
    lines: list[QuoteLine]


def parse_description(raw: bytes, organisation: Organisation) -> Description:
    """Return the unsaved draft and lines that ``raw`` describes, or raise ``DescriptionError``."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise DescriptionError([_("Le fichier n'est pas encodé en UTF-8 : enregistrez-le en UTF-8.")]) from None
    except json.JSONDecodeError as error:
        raise DescriptionError(
            [
                _("Le fichier n'est pas un JSON valide (ligne %(line)s, colonne %(column)s) : %(error)s.")
                % {"line": error.lineno, "column": error.colno, "error": error.msg}
            ]
        ) from None
    if not isinstance(data, dict):
        raise DescriptionError([_("Le fichier doit contenir un objet JSON { … } décrivant le devis.")])

    reader = _Reader(organisation)
    quote = reader.quote(data)
    lines = reader.lines(data.get("lines"))
    if reader.problems:
        raise DescriptionError(reader.problems)
    return Description(quote=quote, lines=lines)


class _Reader:
    """Collect the problems of one description while building the draft."""

    def __init__(self, organisation: Organisation) -> None:
        self.organisation = organisation
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(message)

    # Top level

    def quote(self, data: dict[str, Any]) -> Quote:
        for key in sorted(set(data) - TOP_LEVEL_KEYS):
            self.problem(
                _("Champ inconnu « %(key)s » : les champs possibles sont %(keys)s.")
                % {"key": key, "keys": ", ".join(sorted(TOP_LEVEL_KEYS))}
            )
        kind = data.get("kind", QuoteKind.QUOTE)
        if kind not in QuoteKind.values:
            self.problem(
                _("kind : « %(value)s » n'est pas un type de document : indiquez « quote » ou « proforma ».")
                % {"value": kind}
            )
            kind = QuoteKind.QUOTE

        quote = Quote(
            organisation=self.organisation,
            kind=kind,
            conditions=self.text(data, "conditions"),
            notes=self.text(data, "notes"),
        )

        customer = self.customer(data.get("customer"))
        if customer is not None:
            quote.customer = customer
        quote.validity_date = self.date(data.get("validity_date"), "validity_date")
        self.discount(quote, data.get("discount"))
        quote.document_adjustments = self.adjustments(data.get("adjustments"))

        if data.get("deposit_percent") is not None:
            quote.deposit_percent = self.decimal(
                data["deposit_percent"], "deposit_percent", minimum=Decimal("0.01"), maximum=Decimal("100")
            )
        auto = data.get("auto_deposit_on_acceptance", False)
        if not isinstance(auto, bool):
            self.problem(_("auto_deposit_on_acceptance : « %(value)s » doit valoir true ou false.") % {"value": auto})
        quote.auto_deposit_on_acceptance = auto is True
        return quote

    def text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.problem(_('%(key)s : le texte doit être entre guillemets, par exemple "…".') % {"key": key})
            return ""
        return value

    def customer(self, value: Any) -> Customer | None:
        customers = Customer.objects.filter(organisation=self.organisation)
        if value is None or value == "" or value == {}:
            self.problem(
                _(
                    "customer : le client est manquant. Indiquez par exemple "
                    '"customer": {"siren": "552081317"}, {"id": 12} ou {"name": "Boulangerie Martin SAS"}.'
                )
            )
            return None
        if isinstance(value, str):
            value = {"name": value}
        if isinstance(value, int) and not isinstance(value, bool):
            value = {"id": value}
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("id", "siren", "name"):
            self.problem(
                _("customer : « %(value)s » ne désigne pas un client. Utilisez un seul des champs id, siren ou name.")
                % {"value": json.dumps(value, ensure_ascii=False, default=str)}
            )
            return None
        key, wanted = next(iter(value.items()))
        if key == "id":
            found = list(customers.filter(pk=wanted)[:2]) if isinstance(wanted, int) else []
        elif key == "siren":
            found = list(customers.filter(siren=str(wanted).replace(" ", ""))[:2])
        else:
            found = list(customers.filter(name__iexact=str(wanted).strip())[:2])
        if not found:
            self.problem(
                _(
                    "customer : aucun client avec %(key)s « %(value)s » dans cette entreprise. "
                    "Vérifiez la valeur ou créez d'abord le client."
                )
                % {"key": key, "value": wanted}
            )
            return None
        if len(found) > 1:
            self.problem(
                _("customer : plusieurs clients ont %(key)s « %(value)s » : désignez-le par son id ou son SIREN.")
                % {"key": key, "value": wanted}
            )
            return None
        return found[0]

    def date(self, value: Any, field: str) -> datetime.date | None:
        if value is None or value == "":
            return None
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.problem(
                _("%(field)s : « %(value)s » n'est pas une date au format AAAA-MM-JJ, par exemple 2027-01-31.")
                % {"field": field, "value": value}
            )
            return None

    def decimal(
        self, value: Any, field: str, *, minimum: Decimal | None = None, maximum: Decimal = MAX_AMOUNT
    ) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.problem(
                _('%(field)s : « %(value)s » n\'est pas un nombre. Écrivez par exemple 12.5 ou "12.5".')
                % {"field": field, "value": value}
            )
            return None
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problem(
                _('%(field)s : « %(value)s » n\'est pas un nombre. Écrivez par exemple 12.5 ou "12.5".')
                % {"field": field, "value": value}
            )
            return None
        if minimum is not None and number < minimum:
            self.problem(
                _("%(field)s : %(value)s est trop petit, le minimum est %(minimum)s.")
                % {"field": field, "value": value, "minimum": minimum}
            )
            return None
        if abs(number) > maximum:
            self.problem(
                _("%(field)s : %(value)s est trop grand, le maximum est %(maximum)s.")
                % {"field": field, "value": value, "maximum": maximum}
            )
            return None
        return number

    def discount(self, quote: Quote, value: Any) -> None:
        if value is None:
            return
        keys = set(value) if isinstance(value, dict) else set()
        kinds = keys & {"percent", "amount"}
        if not isinstance(value, dict) or len(kinds) != 1 or keys - {"percent", "amount", "reason"}:
            self.problem(
                _(
                    "discount : « %(value)s » n'est pas une remise. Écrivez par exemple "
                    '{"percent": 10} ou {"amount": "50.00", "reason": "Remise fidélité"}.'
                )
                % {"value": json.dumps(value, ensure_ascii=False, default=str)}
            )
            return
        kind = kinds.pop()
        maximum = Decimal("100") if kind == "percent" else MAX_AMOUNT
        amount = self.decimal(value[kind], "discount.%s" % kind, minimum=Decimal("0"), maximum=maximum)
        if amount is None:
            return
        quote.discount_kind = DiscountKind.PERCENT if kind == "percent" else DiscountKind.AMOUNT
        quote.discount_value = amount
        quote.discount_reason = str(value.get("reason", ""))[:100]

    # Allowances and charges on the total

    def adjustments(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > MAX_ADJUSTMENTS:
            self.problem(
                _(
                    "adjustments : indiquez une liste d'au plus %(max)s remises ou frais, par exemple "
                    '[{"kind": "charge", "reason": "Frais de déplacement", "amount": "45.00"}].'
                )
                % {"max": MAX_ADJUSTMENTS}
            )
            return []
        rows = (self.adjustment(position, raw) for position, raw in enumerate(value, start=1))
        return [row for row in rows if row is not None]

    def adjustment(self, position: int, raw: Any) -> dict[str, Any] | None:
        where = _("adjustments n° %(position)s") % {"position": position}
        if not isinstance(raw, dict):
            self.problem(_("%(where)s : chaque remise ou frais est un objet { … }.") % {"where": where})
            return None
        for key in sorted(set(raw) - ADJUSTMENT_KEYS):
            self.problem(
                _("%(where)s : champ inconnu « %(key)s » ; les champs possibles sont %(keys)s.")
                % {"where": where, "key": key, "keys": ", ".join(sorted(ADJUSTMENT_KEYS))}
            )
        problems_before = len(self.problems)

        kind = raw.get("kind")
        if kind not in ("allowance", "charge"):
            self.problem(
                _("%(where)s, kind : « %(value)s » doit valoir « allowance » (remise) ou « charge » (frais).")
                % {"where": where, "value": kind}
            )
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            self.problem(
                _('%(where)s : le motif (reason) est manquant, par exemple "reason": "Frais de port".')
                % {"where": where}
            )
        amount, percent = self.adjustment_amount(where, raw)
        rate, exemption = self.adjustment_vat(where, raw)
        if len(self.problems) > problems_before or rate is None:
            return None

        assert isinstance(reason, str)
        adjustment = Adjustment(
            is_charge=kind == "charge",
            amount=amount,
            percent=percent,
            reason=reason.strip()[:200],
            vat=VatKey(category_for(rate, exemption), rate),
        )
        # Stored as the editor stores a row: the exemption states the reason of a 0 % charge.
        return {**adjustment_to_json(adjustment), "exemption": exemption}

    def adjustment_amount(self, where: str, raw: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
        if ("amount" in raw) == ("percent" in raw):
            self.problem(
                _(
                    "%(where)s : indiquez soit un montant HT (amount), soit un pourcentage (percent), "
                    'par exemple "amount": 45.'
                )
                % {"where": where}
            )
            return None, None
        if "amount" in raw:
            amount = self.decimal(raw["amount"], "%s, amount" % where, minimum=Decimal("0.01"))
            return (amount.quantize(Decimal("0.01")) if amount is not None else None), None
        percent = self.decimal(raw["percent"], "%s, percent" % where, minimum=Decimal("0.01"), maximum=Decimal("100"))
        return None, percent

    def adjustment_vat(self, where: str, raw: dict[str, Any]) -> tuple[Decimal | None, str]:
        """Return the rate and exemption of an allowance or charge, as the editor's row gives them."""
        if self.organisation.is_franchise:
            # Franchise en base: no VAT on a charge either, as on the lines.
            return Decimal("0.00"), "franchise"
        rate = self.decimal(raw.get("vat_rate", "20"), "%s, vat_rate" % where)
        if rate is not None and rate not in FRENCH_RATES:
            self.problem(
                _("%(where)s, vat_rate : %(value)s n'est pas un taux de TVA français. Taux possibles : %(rates)s.")
                % {"where": where, "value": raw["vat_rate"], "rates": ", ".join(str(r) for r in FRENCH_RATES)}
            )
            return None, ""
        if rate is None:
            return None, ""
        if rate > 0:
            return rate.quantize(Decimal("0.01")), ""
        exemption = raw.get("exemption", "")
        allowed = [key for key, _label in exemption_choices(self.organisation) if key]
        if exemption not in allowed:
            self.problem(
                _(
                    "%(where)s, exemption : avec un taux de 0 %%, indiquez le motif d'exonération "
                    "(« %(value)s » reçu). Motifs possibles : %(keys)s."
                )
                % {"where": where, "value": exemption, "keys": ", ".join(allowed)}
            )
            return None, ""
        return rate.quantize(Decimal("0.01")), str(exemption)

    # Lines

    def lines(self, value: Any) -> list[QuoteLine]:
        if not isinstance(value, list) or not value:
            self.problem(
                _('lines : indiquez au moins une ligne, par exemple "lines": [{"name": "Audit", "unit_price": 500}].')
            )
            return []
        return [line for position, raw in enumerate(value, start=1) if (line := self.line(position, raw)) is not None]

    def line(self, position: int, raw: Any) -> QuoteLine | None:
        where = _("lines n° %(position)s") % {"position": position}
        if not isinstance(raw, dict):
            self.problem(_("%(where)s : chaque ligne est un objet { … }.") % {"where": where})
            return None
        for key in sorted(set(raw) - LINE_KEYS):
            self.problem(
                _("%(where)s : champ inconnu « %(key)s » ; les champs possibles sont %(keys)s.")
                % {"where": where, "key": key, "keys": ", ".join(sorted(LINE_KEYS))}
            )
        line = QuoteLine()
        product = self.product(where, raw.get("product"))
        if product is not None:
            line.product = product
            line.name = product.name
            line.description = product.description
            line.unit = product.unit
            line.unit_price = product.unit_price
            line.vat_rate = product.vat_rate
            line.is_service = product.kind == "service"

        name = raw.get("name", line.name)
        if not isinstance(name, str) or not name.strip():
            self.problem(
                _("%(where)s : la désignation (name) est manquante : indiquez-la ou un article (product).")
                % {"where": where}
            )
        else:
            line.name = name.strip()[:200]
        description = raw.get("description", line.description)
        line.description = description if isinstance(description, str) else ""

        self.line_numbers(where, raw, line, has_product=product is not None)
        self.line_unit_and_nature(where, raw, line)
        return line

    def product(self, where: str, value: Any) -> Product | None:
        if value is None:
            return None
        products = Product.objects.filter(organisation=self.organisation, is_active=True)
        if isinstance(value, int) and not isinstance(value, bool):
            found = list(products.filter(pk=value)[:2])
        else:
            found = list(products.filter(name__iexact=str(value).strip())[:2])
        if len(found) != 1:
            self.problem(
                _("%(where)s : aucun article actif « %(value)s » au catalogue. Indiquez son id ou son nom exact.")
                % {"where": where, "value": value}
                if not found
                else _("%(where)s : plusieurs articles s'appellent « %(value)s » : indiquez son id.")
                % {"where": where, "value": value}
            )
            return None
        return found[0]

    def line_numbers(self, where: str, raw: dict[str, Any], line: QuoteLine, *, has_product: bool) -> None:
        quantity = self.decimal(raw.get("quantity", 1), "%s, quantity" % where)
        if quantity is not None and quantity <= 0:
            self.problem(
                _(
                    "%(where)s, quantity : la quantité %(value)s doit être positive. "
                    "Un devis ne porte pas de ligne négative : utilisez discount pour une remise."
                )
                % {"where": where, "value": quantity}
            )
        elif quantity is not None:
            line.quantity = quantity

        if "unit_price" in raw:
            price = self.decimal(raw["unit_price"], "%s, unit_price" % where, minimum=Decimal("0"))
            if price is not None:
                line.unit_price = price
        elif not has_product:
            self.problem(
                _('%(where)s : le prix unitaire HT (unit_price) est manquant, par exemple "unit_price": 65.')
                % {"where": where}
            )

        if "vat_rate" in raw:
            rate = self.decimal(raw["vat_rate"], "%s, vat_rate" % where)
            if rate is not None and rate not in FRENCH_RATES:
                self.problem(
                    _("%(where)s, vat_rate : %(value)s n'est pas un taux de TVA français. Taux possibles : %(rates)s.")
                    % {"where": where, "value": raw["vat_rate"], "rates": ", ".join(str(r) for r in FRENCH_RATES)}
                )
            elif rate is not None:
                line.vat_rate = rate
        elif not has_product:
            line.vat_rate = Decimal("20.00")

        if "discount_percent" in raw:
            discount = self.decimal(
                raw["discount_percent"], "%s, discount_percent" % where, minimum=Decimal("0"), maximum=Decimal("100")
            )
            if discount is not None:
                line.discount_percent = discount

    def line_unit_and_nature(self, where: str, raw: dict[str, Any], line: QuoteLine) -> None:
        if "unit" in raw:
            if raw["unit"] not in UNIT_CODES:
                self.problem(
                    _("%(where)s, unit : « %(value)s » n'est pas un code d'unité. Codes possibles : %(codes)s.")
                    % {"where": where, "value": raw["unit"], "codes": ", ".join(UNIT_CODES)}
                )
            else:
                line.unit = raw["unit"]
        if "nature" in raw:
            if raw["nature"] not in ("service", "goods"):
                self.problem(
                    _("%(where)s, nature : « %(value)s » doit valoir « service » ou « goods ».")
                    % {"where": where, "value": raw["nature"]}
                )
            else:
                line.is_service = raw["nature"] == "service"
