"""The stored balances (``DocumentBalance``, ``CustomerAccount``) always equal a computation from scratch."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.invoicing.queries import in_state, in_stored_state, with_balance, with_stored_balance
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.models import Payment, Receipt
from ardoise.payments.services import (
    apply_credit,
    receive_payment,
    record_payment,
    refund_credit,
    reverse_payment,
    reverse_receipt,
)
from ardoise.reports import queries
from ardoise.reports.models import CustomerAccount, CustomerMonth, DocumentBalance, OpenDueDate
from ardoise.reports.stored import rebuild
from tests.reports.conftest import issue

D = Decimal


def stored_rows(organisation) -> tuple[dict, dict, dict]:
    documents = {row["invoice_id"]: row for row in DocumentBalance.objects.filter(organisation=organisation).values()}
    accounts = {
        (row["customer_id"], row["currency"]): (
            row["balance"],
            row["settled_count"],
            row["days_late_total"],
            row["first_month"],
        )
        for row in CustomerAccount.objects.filter(organisation=organisation).values()
    }
    months = {
        (row["customer_id"], row["currency"], row["month"]): (row["change"], row["closing"])
        for row in CustomerMonth.objects.filter(organisation=organisation).values()
    }
    due_dates = sorted(
        (row["currency"], str(row["due_date"]), row["open_amount"], row["owed_amount"], row["open_count"])
        for row in OpenDueDate.objects.filter(organisation=organisation).values()
    )
    return documents, accounts, months, due_dates


def assert_matches_rebuild(organisation) -> None:
    kept = stored_rows(organisation)
    rebuild(organisation)
    fresh = stored_rows(organisation)
    assert kept[0] == fresh[0]
    assert kept[1] == fresh[1]
    assert kept[2] == fresh[2]
    assert kept[3] == fresh[3]


def test_autumn_balances_match_rebuild(autumn):
    assert_matches_rebuild(autumn.organisation)


def test_every_issued_document_has_a_row(autumn):
    issued = set(
        Invoice.objects.filter(organisation=autumn.organisation, status=InvoiceStatus.ISSUED).values_list(
            "pk", flat=True
        )
    )
    stored = set(DocumentBalance.objects.filter(organisation=autumn.organisation).values_list("invoice_id", flat=True))

    assert stored == issued


def test_stored_balance_equals_with_balance(autumn):
    invoices = Invoice.objects.filter(organisation=autumn.organisation)
    computed = {
        row.pk: (row.paid_amount, row.credited_amount, row.refunded_amount, row.balance_amount)
        for row in with_balance(invoices)
    }
    stored = {
        row.pk: (row.paid_amount, row.credited_amount, row.refunded_amount, row.balance_amount)
        for row in with_stored_balance(invoices)
    }

    assert {pk: tuple(D(value).quantize(D("0.01")) for value in values) for pk, values in stored.items()} == {
        pk: tuple(D(value).quantize(D("0.01")) for value in values) for pk, values in computed.items()
    }


@pytest.mark.parametrize(
    "state", ["draft", "issued", "partially_paid", "paid", "overdue", "cancelled", "refund_due", "settled"]
)
def test_states_agree_with_computed_balances(autumn, state, today):
    invoices = Invoice.objects.filter(organisation=autumn.organisation)

    stored = set(in_state(with_stored_balance(invoices), state, today).values_list("pk", flat=True))
    computed = set(in_state(with_balance(invoices), state, today).values_list("pk", flat=True))
    listed = in_stored_state(with_stored_balance(invoices), state, today, autumn.organisation)

    assert stored == computed
    assert set(listed.values_list("pk", flat=True)) == computed


def test_random_operations_keep_stored_balances_exact(organisation, customer, product):
    rng = random.Random(20261205)
    today = timezone.localdate()
    invoices: list[Invoice] = []
    for step in range(60):
        action = rng.choice(["issue", "pay", "pay", "receive", "reverse", "credit", "refund", "apply", "undo"])
        try:
            if action == "issue" or not invoices:
                lines = [("Prestation", str(rng.randint(1, 5)), str(rng.randint(10, 300)), "20.00", product)]
                invoices.append(issue(organisation, customer, lines, today))
            elif action == "pay":
                record_payment(rng.choice(invoices), D(rng.randint(1, 40000)) / 100, today)
            elif action == "receive":
                target = rng.choice(invoices)
                amount = D(rng.randint(100, 50000)) / 100
                receive_payment(customer, amount, today, allocations=[(target, min(amount, target.amount_due))])
            elif action == "reverse":
                payments = list(
                    Payment.objects.filter(invoice__in=invoices, reverses__isnull=True, reversal__isnull=True)
                )
                if payments:
                    reverse_payment(rng.choice(payments))
            elif action == "undo":
                receipts = list(Receipt.objects.filter(customer=customer, reverses__isnull=True, reversal__isnull=True))
                if receipts:
                    reverse_receipt(rng.choice(receipts))
            elif action == "credit":
                invoice = rng.choice([invoice for invoice in invoices if not invoice.is_credit_note])
                draft = create_credit_note(invoice, {1: D("1")})
                invoices.append(issue_invoice(draft, today=today))
            elif action == "refund":
                notes = [invoice for invoice in invoices if invoice.is_credit_note]
                if notes:
                    record_payment(rng.choice(notes), D(rng.randint(1, 20000)) / 100, today)
                else:
                    refund_credit(customer, D(rng.randint(1, 5000)) / 100, today)
            elif action == "apply":
                apply_credit(rng.choice([invoice for invoice in invoices if not invoice.is_credit_note]))
        except InvoicingError as error:
            # An operation the services refuse (more than the balance, nothing to credit) changes nothing.
            assert str(error)
        if step % 10 == 9:
            assert_matches_rebuild(organisation)
    assert_matches_rebuild(organisation)


def test_past_date_balances_ignore_later_movements(autumn):
    # On 20/11, F3 (Cabinet Durand, due 02/12) was not paid yet; it was paid on 25/11.
    rows = {
        row.customer_name: row
        for row in queries.customer_balances(autumn.organisation, datetime.date(2026, 11, 20)).rows
    }

    assert rows["Cabinet Durand & Associés"].not_due == D("1670.00")
    assert rows["Cabinet Durand & Associés"].credit == D("0.00")
