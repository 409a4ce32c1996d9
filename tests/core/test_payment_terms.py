"""Payment terms: due dates of each rule, the legal maximum, installments split to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.core import payment_terms
from ardoise.core.payment_terms import Installment, PaymentTerm, PaymentTermError, TermKind

D = datetime.date
THIRTY_SEVENTY = (Installment(Decimal("30"), 0), Installment(Decimal("70"), 60))
issue_dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))


def test_on_receipt_is_due_on_issue_date():
    assert payment_terms.final_due_date(PaymentTerm(TermKind.ON_RECEIPT, 0), D(2026, 12, 4)) == D(2026, 12, 4)


def test_net_days_adds_calendar_days():
    assert payment_terms.final_due_date(PaymentTerm(TermKind.NET, 30), D(2026, 12, 4)) == D(2027, 1, 3)


def test_two_readings_of_45_days_end_of_month():
    issue = D(2026, 1, 20)

    days_then_eom = payment_terms.final_due_date(PaymentTerm(TermKind.DAYS_END_OF_MONTH, 45), issue)
    eom_then_days = payment_terms.final_due_date(PaymentTerm(TermKind.END_OF_MONTH_DAYS, 45), issue)

    # 20 January + 45 days = 6 March, then end of month: 31 March.
    assert days_then_eom == D(2026, 3, 31)
    # End of January, then + 45 days: 17 March.
    assert eom_then_days == D(2026, 3, 17)


def test_end_of_month_handles_february_of_leap_year():
    assert payment_terms.end_of_month(D(2028, 2, 3)) == D(2028, 2, 29)
    assert payment_terms.end_of_month(D(2027, 2, 3)) == D(2027, 2, 28)


def test_fixed_date_is_the_due_date():
    term = PaymentTerm(TermKind.FIXED_DATE, 0, fixed_date=D(2027, 1, 15))

    assert payment_terms.final_due_date(term, D(2026, 12, 4)) == D(2027, 1, 15)


def test_installments_split_to_the_cent():
    term = PaymentTerm(TermKind.INSTALLMENTS, 0, installments=THIRTY_SEVENTY)

    parts = payment_terms.schedule(term, D(2026, 12, 4), Decimal("1065.00"))

    assert [(p.due_date, p.amount) for p in parts] == [
        (D(2026, 12, 4), Decimal("319.50")),
        (D(2027, 2, 2), Decimal("745.50")),
    ]


def test_installments_in_thirds_keep_exact_sum():
    thirds = payment_terms.parse_installments("33,33 % à 0 j ; 33,33 % à 30 j ; 33,34 % à 60 j")
    term = PaymentTerm(TermKind.INSTALLMENTS, 0, installments=thirds)

    amounts = [p.amount for p in payment_terms.schedule(term, D(2026, 12, 4), Decimal("100.00"))]

    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_parse_installments_refuses_bad_sum():
    with pytest.raises(PaymentTermError) as error:
        payment_terms.parse_installments("30 % à 0 j ; 60 % à 60 j")

    assert "90" in error.value.message
    assert "100" in error.value.message


def test_parse_installments_names_unreadable_part():
    with pytest.raises(PaymentTermError) as error:
        payment_terms.parse_installments("30 % à 0 j ; soixante-dix pour cent")

    assert "« soixante-dix pour cent »" in error.value.message


def test_format_installments_round_trips():
    installments = payment_terms.parse_installments("30 % 0 ; 70% à 60 jours")

    assert payment_terms.format_installments(installments) == "30 % à 0 j ; 70 % à 60 j"
    assert payment_terms.parse_installments(payment_terms.format_installments(installments)) == installments


def test_net_61_days_refused():
    term = PaymentTerm(TermKind.NET, 61)

    with pytest.raises(PaymentTermError) as error:
        payment_terms.check_legal_maximum(term, D(2026, 12, 4))

    message = error.value.message
    assert "03/02/2027" in message  # the computed due date
    assert "02/02/2027" in message  # the limit: 60 days after 4 December
    assert "L441-10" in message


def test_45_days_end_of_month_lawful():
    for kind in (TermKind.DAYS_END_OF_MONTH, TermKind.END_OF_MONTH_DAYS):
        payment_terms.check_any_issue_date(PaymentTerm(kind, 45))


def test_60_days_end_of_month_is_refused():
    with pytest.raises(PaymentTermError) as error:
        payment_terms.check_any_issue_date(PaymentTerm(TermKind.DAYS_END_OF_MONTH, 60))

    assert "60 jours fin de mois (60 jours, puis fin de mois)" in error.value.message


def test_installment_beyond_60_days_is_refused():
    halves = (Installment(Decimal("50"), 30), Installment(Decimal("50"), 90))
    term = PaymentTerm(TermKind.INSTALLMENTS, 0, installments=halves)

    with pytest.raises(PaymentTermError):
        payment_terms.check_legal_maximum(term, D(2026, 12, 4))


def test_fixed_date_before_issue_is_refused():
    term = PaymentTerm(TermKind.FIXED_DATE, 0, fixed_date=D(2026, 11, 30))

    with pytest.raises(PaymentTermError) as error:
        payment_terms.check_legal_maximum(term, D(2026, 12, 4))

    assert "antérieure" in error.value.message


def test_terms_text_names_the_reading():
    text = payment_terms.terms_text(PaymentTerm(TermKind.END_OF_MONTH_DAYS, 45), D(2026, 1, 20), Decimal("100"))

    assert text == (
        "Paiement à 45 jours fin de mois (fin de mois, puis 45 jours), au plus tard le 17/03/2026, "
        "par virement bancaire."
    )


def test_terms_text_lists_installments():
    term = PaymentTerm(TermKind.INSTALLMENTS, 0, installments=THIRTY_SEVENTY)

    text = payment_terms.terms_text(term, D(2026, 12, 4), Decimal("1065.00"))

    assert "30\u202f%, soit 319,50\u00a0€, le 04/12/2026" in text
    assert "70\u202f%, soit 745,50\u00a0€, le 02/02/2027" in text


def test_json_round_trip():
    term = PaymentTerm(TermKind.INSTALLMENTS, 0, installments=THIRTY_SEVENTY)

    assert PaymentTerm.from_json(term.to_json()) == term


# Properties


@given(issue_dates, st.integers(min_value=0, max_value=45))
def test_days_then_end_of_month_properties(issue, days):
    due = payment_terms.days_then_end_of_month(issue, days)

    assert due >= issue + datetime.timedelta(days=days)
    assert (due + datetime.timedelta(days=1)).day == 1
    assert (due - (issue + datetime.timedelta(days=days))).days < 31


@given(issue_dates, st.integers(min_value=0, max_value=45))
def test_end_of_month_then_days_properties(issue, days):
    due = payment_terms.end_of_month_then_days(issue, days)
    month_end = payment_terms.end_of_month(issue)

    assert (due - month_end).days == days
    assert month_end.month == issue.month
    assert (month_end + datetime.timedelta(days=1)).day == 1


@given(issue_dates, st.integers(min_value=0, max_value=45), st.sampled_from(list(payment_terms.END_OF_MONTH_KINDS)))
def test_end_of_month_up_to_45_lawful(issue, days, kind):
    payment_terms.check_legal_maximum(PaymentTerm(kind, days), issue)


@given(issue_dates, st.integers(min_value=0, max_value=60))
def test_net_up_to_60_days_is_lawful(issue, days):
    payment_terms.check_legal_maximum(PaymentTerm.net(days), issue)


@given(issue_dates, st.integers(min_value=61, max_value=366))
def test_net_beyond_60_days_is_refused(issue, days):
    with pytest.raises(PaymentTermError):
        payment_terms.check_legal_maximum(PaymentTerm(TermKind.NET, days), issue)


@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2),
    st.lists(st.integers(min_value=1, max_value=9000), min_size=2, max_size=6),
)
def test_split_amount_sums_exactly(amount, weights):
    total = sum(weights)
    percents = [Decimal(w * 100) / Decimal(total) for w in weights[:-1]]
    percents = [p.quantize(Decimal("0.01")) for p in percents]
    percents.append(Decimal("100") - sum(percents))

    parts = payment_terms.split_amount(amount, percents)

    assert sum(parts) == amount
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)
