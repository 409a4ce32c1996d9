"""The dashboard's charts, each drawn from a report's figures so that both always agree."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date, format_decimal
from ardoise.dashboard.charts import Chart, Series, bar_chart, column_chart
from ardoise.reports import queries as reports
from ardoise.reports.periods import month_label, short_month_label

MONTHS_SHOWN = 12
WEEKS_SHOWN = 8
TOP_CUSTOMERS = 10
ZERO = Decimal("0.00")


def charts(
    organisation: Any,
    today: datetime.date,
    balances: reports.BalanceReport,
    months: list[tuple[reports.RevenueLine, reports.ReceiptsLine]],
) -> dict[str, Chart]:
    """Draw the dashboard's charts, the first from the ``months`` of ``reports.invoiced_and_collected``."""
    return {
        "invoiced_collected": invoiced_and_collected(months),
        "aging": aging(balances),
        "top_customers": top_customers(balances),
        "expected": expected_receipts(organisation, today, balances.rows.current),
    }


def invoiced_and_collected(months: list[tuple[reports.RevenueLine, reports.ReceiptsLine]]) -> Chart:
    groups = [
        (short_month_label(invoiced.key), (invoiced.with_vat or ZERO, collected.received))
        for invoiced, collected in months
    ]
    chart = column_chart(
        _("Facturé et encaissé, par mois"),
        _(
            "Chiffre d'affaires TTC des factures et avoirs émis, et sommes reçues des clients, pour chacun des "
            "%(count)s derniers mois."
        )
        % {"count": MONTHS_SHOWN},
        groups,
        [Series(_("Facturé TTC"), "bar-invoiced"), Series(_("Encaissé"), "bar-collected")],
    )
    # The table names each month in full: « déc. » suits an axis, not a sentence read aloud.
    for row, (invoiced, _collected) in zip(chart.rows, months, strict=True):
        row[0] = month_label(invoiced.key)
    return chart


def aging(balances: reports.BalanceReport) -> Chart:
    total = balances.total
    rows = [
        (_("Non échu"), total.not_due, "bar-current"),
        (_("1 à 30 jours"), total.days_1_30, "bar-late"),
        (_("31 à 60 jours"), total.days_31_60, "bar-late"),
        (_("61 à 90 jours"), total.days_61_90, "bar-very-late"),
        (_("Plus de 90 jours"), total.over_90, "bar-very-late"),
    ]
    return bar_chart(
        _("Reste à encaisser, par ancienneté"),
        _("Factures ouvertes au %(date)s, par nombre de jours écoulés depuis leur échéance. Total : %(total)s.")
        % {"date": format_date(balances.as_of), "total": format_amount(total.open_amount)},
        rows,
        _("Reste à payer"),
        width=480,
        label_width=120,
    )


def top_customers(balances: reports.BalanceReport) -> Chart:
    owing = reports.top_customers(balances, TOP_CUSTOMERS)
    return bar_chart(
        _("Les clients qui doivent le plus"),
        _(
            "Les %(count)s clients au solde le plus élevé au %(date)s : factures ouvertes, moins avoirs à "
            "rembourser et crédit client."
        )
        % {"count": TOP_CUSTOMERS, "date": format_date(balances.as_of)},
        [(row.customer_name, row.net, "bar-customer") for row in owing],
        _("Solde net"),
        width=480,
        label_width=170,
    )


def expected_receipts(organisation: Any, today: datetime.date, current: bool | None = None) -> Chart:
    expected = reports.expected_receipts(organisation, today, WEEKS_SHOWN, current=current)
    # Short axis labels; the table under the chart names each week in full.
    groups = [(week.start.strftime("%d/%m"), (week.amount,)) for week in expected.weeks]
    description = _(
        "Chaque facture ouverte est attendue à son échéance, décalée du retard moyen du client sur ses 12 dernières "
        "factures entièrement payées (sans décalage pour un client qui n'en a pas). Ce qui est déjà en retard compte "
        "dans la semaine en cours."
    )
    if expected.later:
        description += " " + _("Attendu plus tard : %(amount)s.") % {"amount": format_amount(expected.later)}
    chart = column_chart(
        _("Encaissements attendus, par semaine"),
        description,
        groups,
        [Series(_("Attendu"), "bar-expected")],
        show_values=True,
    )
    for row, week in zip(chart.rows, expected.weeks, strict=True):
        row[0] = _("Semaine du %(start)s au %(end)s") % {"start": format_date(week.start), "end": format_date(week.end)}
    return chart


def payment_history(history: reports.PaymentHistory) -> Chart:
    """Draw the days each of the customer's last invoices took to be paid, latest first."""
    rows = [
        (
            "%s (%s)" % (invoice.number, format_date(invoice.paid_on)),
            Decimal(max(invoice.days_to_pay, 0)),
            "bar-late" if invoice.days_late > 0 else "bar-current",
        )
        for invoice in history.invoices
    ]
    texts = [
        _("%(days)s j (%(timing)s)") % {"days": invoice.days_to_pay, "timing": _timing(invoice.days_late)}
        for invoice in history.invoices
    ]
    description = _(
        "Nombre de jours entre l'émission de chaque facture et son dernier paiement, daté entre parenthèses."
    )
    if history.average_delay is not None:
        description += " " + _average_delay(history.average_delay)
    return bar_chart(
        _("Historique de paiement"),
        description,
        rows,
        _("Délai de paiement"),
        value_text=texts,
        label_width=200,
    )


def _timing(days_late: int) -> str:
    """Say when an invoice was paid against its due date: late, on the day, or early."""
    if days_late > 0:
        return _("%(count)s j de retard") % {"count": days_late}
    if days_late < 0:
        return _("%(count)s j d'avance") % {"count": -days_late}
    return _("à l'échéance")


def _average_delay(delay: Decimal) -> str:
    """Say the customer's average delay in words: so many days after or before the due date, or on it."""
    days = format_decimal(abs(delay), 1)
    if delay > 0:
        return _("En moyenne, ces factures ont été payées %(days)s jours après l'échéance.") % {"days": days}
    if delay < 0:
        return _("En moyenne, ces factures ont été payées %(days)s jours avant l'échéance.") % {"days": days}
    return _("En moyenne, ces factures ont été payées à l'échéance.")
