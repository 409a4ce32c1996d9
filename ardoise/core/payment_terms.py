"""Payment terms (conditions de paiement): the rules that turn an issue date into due dates.

Pure functions with no database access. A ``PaymentTerm`` is one of:

- on receipt (« à réception »): due on the issue date;
- net N days (« à N jours »): issue date + N days;
- N days end of month, read as « N jours, puis fin de mois »: issue date + N
  days, then the last day of that month;
- end of month then N days, read as « fin de mois, puis N jours »: the last
  day of the issue month, then + N days;
- a fixed date, chosen on an invoice draft;
- installments (« échéancier »): percentages of the amount, each due N days
  after the issue date (0 = on receipt).

French practice reads « 45 jours fin de mois » both ways, so the two readings
are separate rules, named explicitly wherever they are shown.

The legal maximum (Code de commerce L441-10): an agreed term may not exceed 60
days after the issue date, or 45 days end of month when the parties agreed on
an end-of-month term. For the two end-of-month rules, the 45-days-end-of-month
limit is computed with the same reading as the rule itself; a due date is
within the law when it is on or before the later of the two limits.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.core.money import quantize

HUNDRED = Decimal("100")
LEGAL_MAXIMUM_DAYS = 60
LEGAL_MAXIMUM_END_OF_MONTH_DAYS = 45
# Installment percentages have at most two decimals: « 33,33 % ».
PERCENT_PLACES = 2
MAX_DAYS = 366


class TermKind(StrEnum):
    ON_RECEIPT = "on_receipt"
    NET = "net"
    DAYS_END_OF_MONTH = "days_end_of_month"
    END_OF_MONTH_DAYS = "end_of_month_days"
    FIXED_DATE = "fixed_date"
    INSTALLMENTS = "installments"


END_OF_MONTH_KINDS = (TermKind.DAYS_END_OF_MONTH, TermKind.END_OF_MONTH_DAYS)


class PaymentTermError(ValueError):
    """A payment term that cannot be applied, with a French message naming the value and the fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Installment:
    """One part of an installment schedule: ``percent`` % of the amount, due ``days`` days after issue."""

    percent: Decimal
    days: int


@dataclass(frozen=True)
class ScheduledPayment:
    """An amount and the date it is due."""

    due_date: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class PaymentTerm:
    kind: TermKind = TermKind.NET
    days: int = 30
    fixed_date: datetime.date | None = None
    installments: tuple[Installment, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("days must not be negative, got %r" % self.days)
        if self.kind == TermKind.FIXED_DATE and self.fixed_date is None:
            raise ValueError("a fixed-date term needs a fixed_date")
        if self.kind == TermKind.INSTALLMENTS:
            check_installments(self.installments)

    @classmethod
    def net(cls, days: int) -> PaymentTerm:
        """Return « à N jours », or « à réception » for 0 days (the legacy meaning of a number of days)."""
        return cls(TermKind.ON_RECEIPT, 0) if days == 0 else cls(TermKind.NET, days)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "days": self.days,
            "fixed_date": self.fixed_date.isoformat() if self.fixed_date else None,
            "installments": [{"percent": str(i.percent), "days": i.days} for i in self.installments],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaymentTerm:
        fixed = data.get("fixed_date")
        return cls(
            kind=TermKind(data["kind"]),
            days=int(data.get("days") or 0),
            fixed_date=datetime.date.fromisoformat(fixed) if fixed else None,
            installments=tuple(
                Installment(Decimal(raw["percent"]), int(raw["days"])) for raw in data.get("installments", ())
            ),
        )


def end_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_then_end_of_month(issue_date: datetime.date, days: int) -> datetime.date:
    """« N jours, puis fin de mois »: add the days, then go to the last day of that month."""
    return end_of_month(issue_date + datetime.timedelta(days=days))


def end_of_month_then_days(issue_date: datetime.date, days: int) -> datetime.date:
    """« Fin de mois, puis N jours »: go to the last day of the issue month, then add the days."""
    return end_of_month(issue_date) + datetime.timedelta(days=days)


def due_dates(term: PaymentTerm, issue_date: datetime.date) -> list[datetime.date]:
    """Return the due date of each payment under the term, in order (one date unless installments)."""
    match term.kind:
        case TermKind.ON_RECEIPT:
            return [issue_date]
        case TermKind.NET:
            return [issue_date + datetime.timedelta(days=term.days)]
        case TermKind.DAYS_END_OF_MONTH:
            return [days_then_end_of_month(issue_date, term.days)]
        case TermKind.END_OF_MONTH_DAYS:
            return [end_of_month_then_days(issue_date, term.days)]
        case TermKind.FIXED_DATE:
            assert term.fixed_date is not None
            return [term.fixed_date]
        case TermKind.INSTALLMENTS:
            return [issue_date + datetime.timedelta(days=part.days) for part in term.installments]
    raise ValueError("unknown payment term kind %r" % term.kind)


def final_due_date(term: PaymentTerm, issue_date: datetime.date) -> datetime.date:
    """Return the date by which the whole amount is due: the invoice's due date (BT-9)."""
    return max(due_dates(term, issue_date))


def split_amount(amount: Decimal, percents: list[Decimal], places: int = 2) -> list[Decimal]:
    """Split ``amount`` by percentages summing to 100, rounded to the cent; the last part takes the remainder.

    The parts always add up to ``amount`` exactly.
    """
    parts = [quantize(amount * percent / HUNDRED, places) for percent in percents[:-1]]
    return [*parts, amount - sum(parts, Decimal("0"))]


def schedule(term: PaymentTerm, issue_date: datetime.date, amount: Decimal, places: int = 2) -> list[ScheduledPayment]:
    """Return the payments the customer owes under ``term``, each with its due date."""
    dates = due_dates(term, issue_date)
    if term.kind != TermKind.INSTALLMENTS:
        return [ScheduledPayment(dates[0], amount)]
    amounts = split_amount(amount, [part.percent for part in term.installments], places)
    return [ScheduledPayment(day, part) for day, part in zip(dates, amounts, strict=True)]


# Legal maximum


def legal_limit(term: PaymentTerm, issue_date: datetime.date) -> datetime.date:
    """Return the latest due date the law allows for ``term`` and this issue date (L441-10)."""
    limit = issue_date + datetime.timedelta(days=LEGAL_MAXIMUM_DAYS)
    if term.kind == TermKind.DAYS_END_OF_MONTH:
        limit = max(limit, days_then_end_of_month(issue_date, LEGAL_MAXIMUM_END_OF_MONTH_DAYS))
    elif term.kind == TermKind.END_OF_MONTH_DAYS:
        limit = max(limit, end_of_month_then_days(issue_date, LEGAL_MAXIMUM_END_OF_MONTH_DAYS))
    return limit


def check_legal_maximum(term: PaymentTerm, issue_date: datetime.date) -> None:
    """Raise ``PaymentTermError`` when a due date of ``term`` is before the issue date or beyond the legal maximum."""
    limit = legal_limit(term, issue_date)
    for due in due_dates(term, issue_date):
        if due < issue_date:
            raise PaymentTermError(
                _(
                    "L'échéance du %(due)s est antérieure à la date d'émission du %(issue)s : "
                    "choisissez une date postérieure."
                )
                % {"due": format_date(due), "issue": format_date(issue_date)}
            )
        if due > limit:
            raise PaymentTermError(legal_maximum_message(term, issue_date, due, limit))


def legal_maximum_message(
    term: PaymentTerm, issue_date: datetime.date, due: datetime.date, limit: datetime.date
) -> str:
    if term.kind in END_OF_MONTH_KINDS:
        rule = _("60 jours après la date d'émission, ou 45 jours fin de mois selon la même lecture que votre règle")
    else:
        rule = _("60 jours après la date d'émission")
    return _(
        "Pour une facture émise le %(issue)s, la règle « %(term)s » donne une échéance au %(due)s, "
        "après la limite légale du %(limit)s (%(rule)s, article L441-10 du Code de commerce). "
        "Choisissez un délai plus court."
    ) % {
        "issue": format_date(issue_date),
        "term": describe(term),
        "due": format_date(due),
        "limit": format_date(limit),
        "rule": rule,
    }


def check_any_issue_date(term: PaymentTerm) -> None:
    """Check a default term (organisation, customer) against every issue date of a common and a leap year.

    The due date of an end-of-month rule depends on the issue date, so a
    default term must be lawful whatever day the invoice is issued.
    """
    if term.kind == TermKind.FIXED_DATE:
        raise PaymentTermError(
            _("Une date fixe ne peut être choisie que sur une facture : choisissez une autre règle par défaut.")
        )
    day = datetime.date(2027, 1, 1)
    while day.year <= 2028:
        check_legal_maximum(term, day)
        day += datetime.timedelta(days=1)


# Installments


def check_installments(installments: tuple[Installment, ...]) -> None:
    if len(installments) < 2:
        raise PaymentTermError(
            _("Un échéancier compte au moins deux échéances, par exemple « 30 % à 0 j ; 70 % à 60 j ».")
        )
    total = sum((part.percent for part in installments), Decimal("0"))
    if total != HUNDRED:
        raise PaymentTermError(
            _("Les pourcentages de l'échéancier font %(total)s au lieu de 100 %% : corrigez-les.")
            % {"total": format_rate(total)}
        )
    for part in installments:
        if part.percent <= 0:
            raise PaymentTermError(
                _("L'échéance de %(percent)s n'a pas de montant : chaque pourcentage doit être positif.")
                % {"percent": format_rate(part.percent)}
            )
    days = [part.days for part in installments]
    if days != sorted(days) or len(set(days)) != len(days):
        raise PaymentTermError(
            _("Classez les échéances de la plus proche à la plus lointaine, sans deux fois le même délai.")
        )


_INSTALLMENT = re.compile(
    r"^\s*(?P<percent>\d+(?:[.,]\d+)?)\s*%\s*(?:à|a)?\s*(?P<days>\d+)\s*(?:j|jours?)?\s*$", re.IGNORECASE
)


def parse_installments(text: str) -> tuple[Installment, ...]:
    """Read « 30 % à 0 j ; 70 % à 60 j » into installments; raise ``PaymentTermError`` naming a faulty part."""
    parts = [part for part in re.split(r"[;\n]", text) if part.strip()]
    installments = []
    for part in parts:
        match = _INSTALLMENT.match(part)
        if match is None:
            raise PaymentTermError(
                _(
                    "« %(part)s » n'est pas une échéance lisible : écrivez le pourcentage puis le délai en jours, "
                    "par exemple « 30 %% à 0 j ; 70 %% à 60 j »."
                )
                % {"part": part.strip()}
            )
        try:
            percent = Decimal(match.group("percent").replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            raise PaymentTermError(_("Pourcentage illisible : « %(part)s ».") % {"part": part.strip()}) from None
        if percent != percent.quantize(Decimal(1).scaleb(-PERCENT_PLACES)):
            raise PaymentTermError(
                _("Le pourcentage « %(part)s » a plus de deux décimales : arrondissez-le.") % {"part": part.strip()}
            )
        days = int(match.group("days"))
        if days > MAX_DAYS:
            raise PaymentTermError(_("Le délai de « %(part)s » est trop long.") % {"part": part.strip()})
        installments.append(Installment(percent, days))
    result = tuple(installments)
    check_installments(result)
    return result


def format_installments(installments: tuple[Installment, ...]) -> str:
    """Write installments the way ``parse_installments`` reads them: « 30 % à 0 j ; 70 % à 60 j »."""
    return " ; ".join("%s %% à %s j" % (_plain_number(part.percent), part.days) for part in installments)


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


# Wording


def describe(term: PaymentTerm) -> str:
    """Name the rule in French, without dates: « 45 jours fin de mois (45 jours, puis fin de mois) »."""
    days = term.days
    match term.kind:
        case TermKind.ON_RECEIPT:
            return _("à réception")
        case TermKind.NET:
            return ngettext("à %(days)s jour", "à %(days)s jours", days) % {"days": days}
        case TermKind.DAYS_END_OF_MONTH:
            return _("%(days)s jours fin de mois (%(days)s jours, puis fin de mois)") % {"days": days}
        case TermKind.END_OF_MONTH_DAYS:
            return _("%(days)s jours fin de mois (fin de mois, puis %(days)s jours)") % {"days": days}
        case TermKind.FIXED_DATE:
            assert term.fixed_date is not None
            return _("le %(date)s") % {"date": format_date(term.fixed_date)}
        case TermKind.INSTALLMENTS:
            return _("en %(count)s échéances : %(parts)s") % {
                "count": len(term.installments),
                "parts": " ; ".join(_installment_words(part) for part in term.installments),
            }
    raise ValueError("unknown payment term kind %r" % term.kind)


def _installment_words(part: Installment) -> str:
    if part.days == 0:
        return _("%(percent)s à réception") % {"percent": format_rate(part.percent)}
    return _("%(percent)s à %(days)s jours") % {"percent": format_rate(part.percent), "days": part.days}


def terms_text(term: PaymentTerm, issue_date: datetime.date, amount: Decimal, currency: str = "EUR") -> str:
    """Return the payment terms printed on the invoice and sent as BT-20, with the computed dates."""
    due = final_due_date(term, issue_date)
    values = {"date": format_date(due), "days": term.days}
    match term.kind:
        case TermKind.ON_RECEIPT:
            return _("Paiement à réception de la facture.")
        case TermKind.NET:
            return _("Paiement à %(days)s jours, au plus tard le %(date)s, par virement bancaire.") % values
        case TermKind.DAYS_END_OF_MONTH | TermKind.END_OF_MONTH_DAYS:
            return _("Paiement à %(rule)s, au plus tard le %(date)s, par virement bancaire.") % {
                **values,
                "rule": describe(term),
            }
        case TermKind.FIXED_DATE:
            return _("Paiement au plus tard le %(date)s, par virement bancaire.") % values
        case TermKind.INSTALLMENTS:
            parts = schedule(term, issue_date, amount)
            listed = " ; ".join(
                _("%(percent)s, soit %(amount)s, le %(date)s")
                % {
                    "percent": format_rate(part.percent),
                    "amount": format_amount(payment.amount, currency),
                    "date": format_date(payment.due_date),
                }
                for part, payment in zip(term.installments, parts, strict=True)
            )
            return _("Paiement en %(count)s échéances, par virement bancaire : %(parts)s.") % {
                "count": len(parts),
                "parts": listed,
            }
    raise ValueError("unknown payment term kind %r" % term.kind)


# Model fields


def kind_choices(*, fixed_date: bool) -> list[tuple[str, Any]]:
    """Return the choices of a rule field; a fixed date only makes sense on one invoice."""
    from django.utils.translation import gettext_lazy

    choices: list[tuple[str, Any]] = [
        (TermKind.ON_RECEIPT.value, gettext_lazy("À réception")),
        (TermKind.NET.value, gettext_lazy("N jours nets (date d'émission + N jours)")),
        (TermKind.DAYS_END_OF_MONTH.value, gettext_lazy("N jours fin de mois : N jours, puis fin de mois")),
        (TermKind.END_OF_MONTH_DAYS.value, gettext_lazy("N jours fin de mois : fin de mois, puis N jours")),
        (TermKind.INSTALLMENTS.value, gettext_lazy("Échéancier (pourcentages et délais)")),
    ]
    if fixed_date:
        choices.insert(4, (TermKind.FIXED_DATE.value, gettext_lazy("Date fixe")))
    return choices


def term_from_fields(
    kind: str, days: int | None, fixed_date: datetime.date | None = None, installments: str = ""
) -> PaymentTerm:
    """Build a term from the fields of a form or a model; raise ``PaymentTermError`` for missing parts."""
    term_kind = TermKind(kind)
    if term_kind == TermKind.ON_RECEIPT:
        return PaymentTerm(TermKind.ON_RECEIPT, 0)
    if term_kind == TermKind.FIXED_DATE:
        if fixed_date is None:
            raise PaymentTermError(_("Indiquez la date fixe d'échéance."))
        return PaymentTerm(TermKind.FIXED_DATE, 0, fixed_date=fixed_date)
    if term_kind == TermKind.INSTALLMENTS:
        if not installments.strip():
            raise PaymentTermError(_("Indiquez les échéances, par exemple « 30 % à 0 j ; 70 % à 60 j »."))
        return PaymentTerm(TermKind.INSTALLMENTS, 0, installments=parse_installments(installments))
    if days is None:
        raise PaymentTermError(_("Indiquez le nombre de jours N de la règle choisie."))
    if term_kind == TermKind.NET:
        return PaymentTerm.net(days)
    return PaymentTerm(term_kind, days)
