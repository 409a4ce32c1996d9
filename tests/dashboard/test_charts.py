"""The dashboard's charts show the reports' figures, as accessible inline SVG that the CSP allows."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.core.formats import format_amount
from ardoise.payments.models import Receipt
from ardoise.reports import queries
from ardoise.reports.periods import Grouping, Period
from tests.reports.conftest import Autumn, autumn  # noqa: F401  (the hand-built dataset)

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
NNBSP = "\u202f"
D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def dashboard(owner_client, autumn):  # noqa: F811
    with time_machine.travel(datetime.datetime(2026, 12, 10, 10, 0, tzinfo=PARIS), tick=False):
        return owner_client.get(reverse("dashboard:home"))


def test_cards_equal_reports_and_hand_figures(dashboard, autumn: Autumn):  # noqa: F811
    today = datetime.date(2026, 12, 10)
    aging = queries.customer_balances(autumn.organisation, today).total
    december = queries.revenue(autumn.organisation, Period(datetime.date(2026, 12, 1), today), Grouping.MONTH).total
    context = dashboard.context

    assert context["outstanding"].amount == aging.open_amount == D("1150.00")
    assert context["outstanding"].count == aging.open_count == 2
    assert context["overdue"].amount == aging.overdue == D("1150.00")
    assert context["invoiced_this_month"].amount == december.with_vat == D("0.00")


def test_invoiced_and_collected_chart_equals_reports(dashboard, autumn: Autumn):  # noqa: F811
    chart = dashboard.context["charts"]["invoiced_collected"]
    period = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    revenue = queries.revenue(autumn.organisation, period, Grouping.MONTH)
    receipts = queries.receipts(autumn.organisation, period, Grouping.MONTH)

    november = chart.rows[10]
    assert november[0] == "novembre 2026"
    # Revenue TTC: F3 1 670 + F5 1 200 USD at 0,92 (1 104) − A2 30 − A1 390; received: 2 000 + 500 (EUR only).
    assert november[1] == "2%s354,00%s€" % (NNBSP, NBSP)
    assert november[2] == "2%s500,00%s€" % (NNBSP, NBSP)
    for row, line, money in zip(chart.rows, revenue.rows, receipts.rows, strict=True):
        assert row[1:] == [format_amount(line.with_vat), format_amount(money.received)]


def test_aging_and_top_customers_charts_equal_reports(dashboard, autumn: Autumn):  # noqa: F811
    charts = dashboard.context["charts"]
    report = queries.customer_balances(autumn.organisation, datetime.date(2026, 12, 10))

    assert [row[1] for row in charts["aging"].rows] == [
        format_amount(report.total.not_due),
        format_amount(report.total.days_1_30),
        format_amount(report.total.days_31_60),
        format_amount(report.total.days_61_90),
        format_amount(report.total.over_90),
    ]
    assert charts["top_customers"].rows == [
        ["Boulangerie Martin SAS", "670,00%s€" % NBSP],
        ["Claire Petit", "480,00%s€" % NBSP],
    ]


def test_expected_receipts_chart_adds_up_to_openformat_amount(dashboard, autumn: Autumn):  # noqa: F811
    chart = dashboard.context["charts"]["expected"]

    assert chart.rows[0] == ["Semaine du 07/12/2026 au 13/12/2026", "1%s150,00%s€" % (NNBSP, NBSP)]
    assert all(row[1] == "0,00%s€" % NBSP for row in chart.rows[1:])
    assert "retard moyen du client sur ses 12 dernières factures" in chart.description


def test_charts_are_accessible_svg_without_inline_style(dashboard):
    html = dashboard.content.decode()
    svgs = re.findall(r"<svg class=\"chart-svg\".*?</svg>", html, re.S)

    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<title id=" in svg
        assert "<desc id=" in svg
        assert "style=" not in svg
    assert ">nov.</text>" in html
    assert "Voir les chiffres" in html


def test_no_chart_before_the_first_issued_invoice(owner_client, draft_invoice):
    response = owner_client.get(reverse("dashboard:home"))

    assert "chart-svg" not in response.content.decode()


def test_customer_page_shows_payment_history(owner_client, autumn: Autumn):  # noqa: F811
    with time_machine.travel(datetime.datetime(2026, 12, 10, 10, 0, tzinfo=PARIS), tick=False):
        response = owner_client.get(reverse("customers:detail", args=[autumn.martin.pk]))

    chart = response.context["payment_history"]
    assert chart.rows == [["%s (15/10/2026)" % autumn.f1.number, "44 j (14 j de retard)"]]
    assert "En moyenne, ces factures ont été payées 14,0 jours après l'échéance." in chart.description
    assert reverse("reports:statement") + "?client=%s" % autumn.martin.pk in response.content.decode()


def test_receipts_in_another_currency_stay_out_of_collected(dashboard, autumn: Autumn):  # noqa: F811
    assert Receipt.objects.filter(currency="USD").exists()
    november = dashboard.context["charts"]["invoiced_collected"].rows[10]

    assert november[2] == "2%s500,00%s€" % (NNBSP, NBSP)


def test_chart_shapes_escape_names():
    from ardoise.dashboard.charts import bar_chart

    chart = bar_chart("Titre", "Description", [('Durand & <b>"Fils"</b>', Decimal("12.50"), "bar-customer")], "Solde")

    assert "Durand &amp; &lt;b&gt;&quot;Fils&quot;&lt;/b&gt;" in chart.shapes
    assert "<b>" not in chart.shapes
    assert chart.shapes.count("<rect ") == 1


def test_chart_table_escapes_names():
    from ardoise.dashboard.charts import bar_chart

    chart = bar_chart("Titre", "Description", [('Durand & <b>"Fils"</b>', Decimal("12.50"), "bar-customer")], "Solde")

    assert chart.table_head == '<th scope="col"></th><th scope="col" class="num">Solde</th>'
    assert chart.table_body == (
        '<tr><th scope="row">Durand &amp; &lt;b&gt;&quot;Fils&quot;&lt;/b&gt;</th>'
        '<td class="num">12,50%s€</td></tr>' % NBSP
    )


def test_payment_history_says_early_and_on_time():
    from ardoise.dashboard.panels import payment_history
    from ardoise.reports.queries import PaidInvoice, PaymentHistory

    due = datetime.date(2026, 10, 1)
    invoices = [
        PaidInvoice(1, "F-1", datetime.date(2026, 9, 1), due, due - datetime.timedelta(days=7), Decimal("10.00")),
        PaidInvoice(2, "F-2", datetime.date(2026, 9, 1), due, due, Decimal("10.00")),
    ]

    chart = payment_history(PaymentHistory(invoices, Decimal("-3.5")))

    assert [row[1] for row in chart.rows] == ["23 j (7 j d'avance)", "30 j (à l'échéance)"]
    assert "payées 3,5 jours avant l'échéance." in chart.description
