"""Each report against the figures worked out by hand from the autumn dataset (see conftest.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ardoise.payments.services import receive_payment
from ardoise.reports import queries
from ardoise.reports.models import CustomerAccount
from ardoise.reports.periods import Grouping, Period
from tests.reports.conftest import credit, issue, on, pay

pytestmark = pytest.mark.django_db

D = Decimal
Q4 = Period(datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def by_name(report):
    return {row.customer_name: row for row in report.rows}


# Outstanding and aging


def test_aging_today_buckets_each_open_invoice(autumn, today):
    report = queries.customer_balances(autumn.organisation, today)

    rows = by_name(report)
    assert set(rows) == {"Boulangerie Martin SAS", "Cabinet Durand & Associés", "Claire Petit"}
    martin = rows["Boulangerie Martin SAS"]
    # F2: 1 560 − 500 paid − 390 credited, due 04/11: 36 days late.
    assert martin.days_31_60 == D("670.00")
    assert martin.open_amount == D("670.00")
    assert martin.open_count == 1
    assert martin.oldest_due_date == datetime.date(2026, 11, 4)
    # F4: 480, due 15/07, the reversed payment leaves it unpaid: 148 days late.
    assert rows["Claire Petit"].over_90 == D("480.00")
    durand = rows["Cabinet Durand & Associés"]
    assert durand.open_amount == D("0.00")
    assert durand.credit == D("230.00")
    assert durand.net == D("-230.00")


def test_aging_totals_net_of_credit(autumn, today):
    total = queries.customer_balances(autumn.organisation, today).total

    assert total.not_due == D("0.00")
    assert total.days_1_30 == D("0.00")
    assert total.days_31_60 == D("670.00")
    assert total.days_61_90 == D("0.00")
    assert total.over_90 == D("480.00")
    assert total.open_amount == D("1150.00")
    assert total.overdue == D("1150.00")
    assert total.overdue_count == 2
    assert total.credit == D("230.00")
    assert total.net == D("920.00")


def test_aging_as_of_past_date_ignores_later_movements(autumn, today):
    report = queries.customer_balances(autumn.organisation, datetime.date(2026, 10, 10))

    rows = by_name(report)
    assert set(rows) == {"Boulangerie Martin SAS", "Claire Petit"}
    martin = rows["Boulangerie Martin SAS"]
    # F1: 870 − 300 (the 570 of 15/10 comes later), due 01/10: 9 days late. F2: not due before 04/11.
    assert martin.days_1_30 == D("570.00")
    assert martin.not_due == D("1560.00")
    assert martin.open_count == 2
    # F4: 87 days late on 10/10.
    assert rows["Claire Petit"].days_61_90 == D("480.00")
    assert report.total.net == D("2610.00")


def test_aging_on_the_day_a_payment_is_reversed(autumn, today):
    # Between 01/08 and 05/08, F4 was half paid.
    rows = by_name(queries.customer_balances(autumn.organisation, datetime.date(2026, 8, 3)))

    assert rows["Claire Petit"].open_amount == D("280.00")


def test_credit_note_refund_due_is_owed_to_customer(autumn, today):
    # On 06/11, A2 has credited 30,00 on F1, which was paid in full: the business owes 30,00 until 12/11.
    rows = by_name(queries.customer_balances(autumn.organisation, datetime.date(2026, 11, 6)))

    martin = rows["Boulangerie Martin SAS"]
    assert martin.owed_to_customer == D("30.00")
    assert martin.open_amount == D("1560.00")
    assert martin.net == D("1530.00")


def test_balances_in_another_currency_apart(autumn, today):
    report = queries.customer_balances(autumn.organisation, today, "USD")

    assert [(row.customer_name, row.open_amount) for row in report.rows] == [("Cabinet Durand & Associés", D("600.00"))]


def test_balances_filtered_by_customer(autumn, today):
    report = queries.customer_balances(autumn.organisation, today, customer_id=autumn.petit.pk)

    assert [row.customer_name for row in report.rows] == ["Claire Petit"]
    assert report.total.net == D("480.00")


def test_other_organisation_customer_gives_nothing(autumn, today):
    report = queries.customer_balances(autumn.organisation, today, customer_id=autumn.outsider_customer.pk)

    assert list(report.rows) == []
    assert len(report.rows) == 0


def test_open_invoices_list_balances_and_lateness(autumn, today):
    rows = queries.open_invoices(autumn.organisation, today)

    assert [(row.number, row.balance, row.days_overdue) for row in rows] == [
        (autumn.f4.number, D("480.00"), 148),
        (autumn.f2.number, D("670.00"), 36),
    ]


def test_top_customers_by_net_balance(autumn, today):
    report = queries.customer_balances(autumn.organisation, today)

    top = queries.top_customers(report)

    assert [(row.customer_name, row.net) for row in top] == [
        ("Boulangerie Martin SAS", D("670.00")),
        ("Claire Petit", D("480.00")),
    ]


def test_balance_rows_read_by_page(autumn, today):
    every = list(queries.customer_balances(autumn.organisation, today).rows)
    report = queries.customer_balances(autumn.organisation, today)
    report.rows.prefetch_page(1, 1)

    assert report.rows[1:2] == every[1:2]
    assert len(report.rows) == 3
    assert report.rows[0] == every[0]
    assert report.rows[-1] == every[-1]
    assert report.rows[5:9] == []
    assert [row.customer_name for row in every] == [
        "Boulangerie Martin SAS",
        "Cabinet Durand & Associés",
        "Claire Petit",
    ]


def test_open_invoice_listed_when_credit_settles_account(autumn, today):
    # On 18/11 Claire Petit pays 480,00 without saying for what: her account is settled, F4 is still open.
    receive_payment(autumn.petit, D("480.00"), datetime.date(2026, 11, 18), allocations=[])
    report = queries.customer_balances(autumn.organisation, datetime.date(2026, 11, 20))
    report.rows.prefetch_page(0, 10)

    petit = {row.customer_name: row for row in report.rows[0:10]}["Claire Petit"]
    assert (petit.open_amount, petit.credit, petit.net) == (D("480.00"), D("480.00"), D("0.00"))


def test_balance_total_adds_up_rows(autumn, today):
    report = queries.customer_balances(autumn.organisation, datetime.date(2026, 11, 6))
    rows = list(report.rows)

    for name in ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90", "owed_to_customer", "credit"):
        assert getattr(report.total, name) == sum((getattr(row, name) for row in rows), D("0.00")), name
    assert report.total.open_count == sum(row.open_count for row in rows)
    assert report.total.oldest_due_date == min(row.oldest_due_date for row in rows if row.oldest_due_date)


def test_top_customers_prefetched_with_total(autumn, today):
    plain = queries.customer_balances(autumn.organisation, today)
    prefetched = queries.customer_balances(autumn.organisation, today)
    prefetched.rows.prefetch_largest(10)

    assert queries.top_customers(prefetched) == queries.top_customers(plain)
    assert prefetched.total == plain.total


# Revenue


def test_revenue_by_month_converts_dollars(autumn, today):
    report = queries.revenue(autumn.organisation, Q4, Grouping.MONTH)

    october, november, december = report.rows
    assert (october.label, october.invoiced, october.credited, october.vat) == (
        "octobre 2026",
        D("1300.00"),
        D("0.00"),
        D("260.00"),
    )
    # F3 1 400 + F5 1 000 USD × 0,92 = 920; A2 −28,44 and A1 −325.
    assert november.invoiced == D("2320.00")
    assert november.credited == D("-353.44")
    assert november.vat == D("270.00") + D("184.00") - D("1.56") - D("65.00")
    assert november.documents == 4
    assert december.net == D("0.00")
    assert report.total.net == D("3266.56")
    assert report.total.with_vat == D("3914.00")
    assert report.unconverted == []


def test_revenue_every_grouping_gives_same_total(autumn, today):
    totals = {
        grouping: queries.revenue(autumn.organisation, YEAR, grouping).total.net
        for grouping in ("mois", "trimestre", "annee", "client", "produit")
    }

    assert set(totals.values()) == {D("4401.87")}


def test_revenue_by_product_with_free_lines(autumn, today):
    report = queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.PRODUCT)

    rows = {row.label: (row.invoiced, row.credited) for row in report.rows}
    assert rows == {
        "Développement web": (D("1950.00"), D("-325.00")),
        "Journée de conseil": (D("1300.00"), D("0.00")),
        # The books of F1, the travel costs of F3, the audit of F4 and the USD consulting of F5.
        "Sans article (lignes libres)": (D("1505.31"), D("-28.44")),
    }
    assert report.total.vat is None


def test_revenue_by_customer(autumn, today):
    report = queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.CUSTOMER)

    assert [(row.label, row.net) for row in report.rows] == [
        ("Boulangerie Martin SAS", D("1681.87")),
        ("Cabinet Durand & Associés", D("2320.00")),
        ("Claire Petit", D("400.00")),
    ]


def test_revenue_by_customer_read_by_page(autumn, today):
    every = list(queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.CUSTOMER).rows)
    report = queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.CUSTOMER)
    report.rows.prefetch_page(1, 1)

    assert len(report.rows) == 3
    assert report.rows[1:2] == every[1:2]
    assert report.rows[0:3] == every
    assert report.rows[-1] == every[-1]
    for offset in range(4):
        for limit in (1, 2, 3):
            report = queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.CUSTOMER)
            report.rows.prefetch_page(offset, limit)
            assert report.rows[offset : offset + limit] == every[offset : offset + limit]
            assert len(report.rows) == 3


def test_revenue_never_counts_drafts_or_other_organisations(autumn, today):
    report = queries.revenue(autumn.organisation, YEAR, queries.RevenueGrouping.CUSTOMER)

    assert report.total.documents == 7
    assert "Client du concurrent" not in [row.label for row in report.rows]


# Receipts


def test_receipts_by_month_and_method(autumn, today):
    report = queries.receipts(autumn.organisation, Period(datetime.date(2026, 8, 1), datetime.date(2026, 12, 31)))

    august, september, october, november, december = report.rows
    # The 200,00 of 01/08 and its reversal of 05/08 cancel out.
    assert (august.count, august.received) == (2, D("0.00"))
    assert september.by_method["virement"] == D("300.00")
    assert october.by_method["cheque"] == D("570.00")
    assert (november.by_method["virement"], november.by_method["carte"]) == (D("2000.00"), D("500.00"))
    assert november.refunds == D("30.00")
    assert december.refunds == D("100.00")
    assert (report.total.received, report.total.refunds, report.total.net) == (
        D("3370.00"),
        D("130.00"),
        D("3240.00"),
    )


def test_receipts_in_dollars_apart(autumn, today):
    report = queries.receipts(autumn.organisation, Q4, Grouping.QUARTER, "USD")

    assert report.total.received == D("600.00")


# DSO


def test_dso_receivables_match_aging_net(autumn, today):
    report = queries.days_sales_outstanding(
        autumn.organisation, Period(datetime.date(2026, 9, 1), datetime.date(2026, 11, 30))
    )

    for line in report.rows:
        aging = queries.customer_balances(autumn.organisation, line.end).total
        assert line.receivables == aging.net, line.label
    september = report.rows[0]
    # 1 050 owed on 30/09 for 870 invoiced in 30 days: 1 050 ÷ 870 × 30.
    assert september.dso == D("36.2")


def test_dso_of_whole_period(autumn, today):
    period = Period(datetime.date(2026, 9, 1), datetime.date(2026, 11, 30))

    total = queries.days_sales_outstanding(autumn.organisation, period).total

    # Revenue TTC: 870 + 1 560 + 1 670 − 30 − 390 = 3 680; owed on 30/11: 820; 91 days.
    assert total.revenue_with_vat == D("3680.00")
    assert total.receivables == D("820.00")
    assert total.dso == D("20.3")


def test_dso_without_revenue_is_not_computed(autumn, today):
    report = queries.days_sales_outstanding(
        autumn.organisation, Period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    )

    assert report.total.dso is None


# VAT collected


def test_vat_on_debits_per_rate(autumn, today):
    report = queries.vat_collected(autumn.organisation, Q4)

    debits = {(row.category, row.rate): (row.debits_base, row.debits_vat) for row in report.rows}
    assert debits == {
        # F2 1 300 − A1 325 + F3 1 300 + F5 920 €; VAT 260 − 65 + 260 + 184 €.
        ("S", D("20.00")): (D("3195.00"), D("639.00")),
        ("S", D("10.00")): (D("100.00"), D("10.00")),
        ("S", D("5.50")): (D("-28.44"), D("-1.56")),
    }


def test_vat_on_receipts_per_rate(autumn, today):
    report = queries.vat_collected(autumn.organisation, Q4)

    receipts = {(row.category, row.rate): (row.receipts_base, row.receipts_vat) for row in report.rows}
    # 20 %: F1 130 − round(130 × 300 / 870) = 85,17; F2 round(260 × 500 / 1 560) = 83,33; F3 260 in full;
    # F5 round(184 × 600 / 1 200) = 92. 5,5 %: F1 4,69 − round(4,69 × 300 / 870) = 3,07; A2 refunded: −1,56.
    assert receipts == {
        ("S", D("20.00")): (D("2602.53"), D("520.50")),
        ("S", D("10.00")): (D("100.00"), D("10.00")),
        ("S", D("5.50")): (D("27.45"), D("1.51")),
    }
    assert report.total.receipts_vat == D("532.01")


def test_paid_invoice_vat_same_both_ways(autumn, today):
    # F1 (two rates) was paid in two parts, then credited and refunded: all settled by money.
    report = queries.vat_collected(
        autumn.organisation, Period(datetime.date(2026, 9, 1), datetime.date(2026, 11, 12)), autumn.martin.pk
    )
    f1_and_a2 = {(row.category, row.rate): row for row in report.rows}

    five_and_half = f1_and_a2[("S", D("5.50"))]
    # F1 4,69 then A2 −1,56: débits and encaissements agree once everything is paid and refunded.
    assert five_and_half.receipts_vat == five_and_half.debits_vat == D("3.13")


def test_vat_filtered_by_customer(autumn, today):
    report = queries.vat_collected(autumn.organisation, Q4, autumn.petit.pk)

    assert list(report.rows) == []
    assert len(report.rows) == 0


# Statement


def test_statement_running_balance(autumn, today):
    statement = queries.statement(autumn.organisation, autumn.martin, Q4)

    assert statement.opening_balance == D("570.00")
    assert [(line.kind, line.debit, line.credit, line.balance) for line in statement.lines] == [
        ("invoice", D("1560.00"), D("0.00"), D("2130.00")),
        ("receipt", D("0.00"), D("570.00"), D("1560.00")),
        ("credit_note", D("0.00"), D("30.00"), D("1530.00")),
        ("receipt", D("0.00"), D("500.00"), D("1030.00")),
        ("refund", D("30.00"), D("0.00"), D("1060.00")),
        ("credit_note", D("0.00"), D("390.00"), D("670.00")),
    ]
    assert statement.closing_balance == D("670.00")
    assert [row.number for row in statement.open_invoices] == [autumn.f2.number]


def test_statement_shows_reversal_and_credit(autumn, today):
    petit = queries.statement(
        autumn.organisation, autumn.petit, Period(datetime.date(2026, 8, 1), datetime.date(2026, 8, 31))
    )
    durand = queries.statement(autumn.organisation, autumn.durand, Q4)

    assert [(line.label, line.debit, line.credit) for line in petit.lines] == [
        ("Règlement par virement", D("0.00"), D("200.00")),
        ("Annulation du règlement du 01/08/2026", D("200.00"), D("0.00")),
    ]
    assert petit.closing_balance == D("480.00")
    assert durand.closing_balance == D("-230.00")
    assert durand.credit == D("230.00")


def test_statement_closing_balance_is_aging_net(autumn, today):
    for customer in (autumn.martin, autumn.durand, autumn.petit):
        statement = queries.statement(autumn.organisation, customer, YEAR)
        aging = queries.customer_balances(autumn.organisation, YEAR.end, customer_id=customer.pk).total

        assert statement.closing_balance == aging.net, customer.name


# Dashboard figures


def test_expected_receipts_add_up_to_open_amount(autumn, today):
    expected = queries.expected_receipts(autumn.organisation, today)

    aging = queries.customer_balances(autumn.organisation, today).total
    assert sum((week.amount for week in expected.weeks), D("0.00")) + expected.later == aging.open_amount
    assert expected.weeks[0].start == datetime.date(2026, 12, 7)


def test_payment_history_and_average_delay(autumn, today):
    history = queries.payment_history(autumn.organisation, autumn.martin.pk)

    # F1 was due on 01/10 and paid in full on 15/10; F2 is still open.
    assert [(invoice.number, invoice.days_to_pay, invoice.days_late) for invoice in history.invoices] == [
        (autumn.f1.number, 44, 14)
    ]
    assert history.average_delay == D("14.0")


def test_payment_habit_last_twelve_paid(organisation, customer, product):
    lines = [("Audit", "1", "100.00", "20.00", product)]
    # A year earlier, one invoice paid 100 days late: older than the last twelve, it no longer counts.
    oldest = issue(organisation, customer, lines, datetime.date(2025, 1, 6))
    pay(oldest, "120.00", oldest.due_date + datetime.timedelta(days=100))
    recent = [issue(organisation, customer, lines, datetime.date(2026, 1, 5)) for _ in range(12)]
    for invoice in recent:
        pay(invoice, "120.00", invoice.due_date + datetime.timedelta(days=2))
    # Settled partly by a credit note: its late payment is not a sign of the customer's habit.
    credited = issue(organisation, customer, lines, datetime.date(2026, 1, 5))
    credit(credited, {1: "0.5"}, datetime.date(2026, 1, 5))
    pay(credited, "60.00", credited.due_date + datetime.timedelta(days=200))

    history = queries.payment_history(organisation, customer.pk)

    assert {invoice.invoice_id for invoice in history.invoices} == {invoice.pk for invoice in recent}
    assert history.average_delay == D("2.0")
    account = CustomerAccount.objects.get(customer=customer, currency="EUR")
    assert (account.settled_count, account.days_late_total) == (12, 24)


@pytest.mark.parametrize(("late", "moved"), [((0, 1), 1), ((-2, -3), -3), ((3, 3, 4), 3)])
def test_expected_delay_rounds_halves_away_from_zero(organisation, customer, product, late, moved):
    lines = [("Audit", "1", "100.00", "20.00", product)]
    for days in late:
        paid = issue(organisation, customer, lines, datetime.date(2026, 9, 1))
        pay(paid, "120.00", paid.due_date + datetime.timedelta(days=days))
    waiting = issue(organisation, customer, lines, datetime.date(2026, 11, 2))
    day = waiting.due_date - datetime.timedelta(days=28)

    with on(day):
        stored = queries.expected_receipts(organisation, day, current=True)
        joined = queries.expected_receipts(organisation, day, current=False)

    assert stored == joined
    expected_on = waiting.due_date + datetime.timedelta(days=moved)
    week = (expected_on - stored.weeks[0].start).days // 7
    assert [(index, row.amount) for index, row in enumerate(stored.weeks) if row.amount] == [(week, D("120.00"))]


def test_expected_receipts_follow_habit(organisation, customer, product):
    lines = [("Audit", "1", "100.00", "20.00", product)]
    paid = issue(organisation, customer, lines, datetime.date(2026, 9, 1))
    pay(paid, "120.00", paid.due_date + datetime.timedelta(days=21))
    waiting = issue(organisation, customer, [("Audit", "1", "50.00", "20.00", product)], datetime.date(2026, 11, 2))
    day = waiting.due_date - datetime.timedelta(days=14)

    with on(day):
        expected = queries.expected_receipts(organisation, day)

    # Due in two weeks, and this customer pays three weeks late: expected five weeks from now.
    expected_on = waiting.due_date + datetime.timedelta(days=21)
    week = (expected_on - expected.weeks[0].start).days // 7
    assert week >= 4
    assert [(index, row.amount) for index, row in enumerate(expected.weeks) if row.amount] == [(week, D("60.00"))]
