"""Receipts through the API: a receipt split over invoices, customer credit, refunds, reversals, filters."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ardoise.audit.models import AuditEntry, AuditSource
from ardoise.customers.models import Customer
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.payments.models import Payment, Receipt
from ardoise.payments.services import customer_credit, receive_payment
from ardoise.webhooks.models import Delivery, EventType, Subscription
from tests.payments.test_receipts import make_invoice

from .test_auth import assert_problem

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def invoices(customer):
    """Invoices of 120,00 € TTC issued on 1 October and 1 November, and one of 60,00 € on 1 December."""
    old = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 10, 1))
    recent = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 11, 1))
    small = make_invoice(customer, "50.00", issued_on=datetime.date(2026, 12, 1))
    return old, recent, small


@pytest.fixture
def other_customer(organisation):
    return Customer.objects.create(
        organisation=organisation,
        name="Fromagerie Roux",
        email="compta@fromagerie-roux.fr",
        address_line1="1 rue Neuve",
        postcode="75001",
        city="Paris",
    )


def test_receipt_split_over_invoices(api, customer, invoices):
    old, recent, small = invoices
    body = {
        "customer": customer.pk,
        "amount": "200.00",
        "date": "2026-12-09",
        "method": "cheque",
        "reference": "Chèque 1234",
        "allocations": [{"invoice": old.pk, "amount": "120.00"}, {"invoice": small.pk, "amount": "60"}],
    }

    response = api.post("/payments/", body)

    assert response.status_code == 201
    receipt = response.json()
    assert receipt["kind"] == "received"
    assert receipt["amount"] == "200.00"
    assert receipt["method"] == "cheque"
    assert receipt["unallocated"] == "20.00"
    assert [(p["invoice"], p["amount"]) for p in receipt["payments"]] == [(old.pk, "120.00"), (small.pk, "60.00")]
    assert response["Location"] == "/api/v1/payments/%s" % receipt["id"]
    assert customer_credit(customer) == Decimal("20.00")
    assert api.get("/invoices/%s" % old.pk).json()["payment_state"] == "paid"
    assert api.get("/invoices/%s" % recent.pk).json()["balance"] == "120.00"
    entry = AuditEntry.objects.get(action="receipt.recorded")
    assert entry.source == AuditSource.API
    assert entry.data["credit"] == "20.00"


def test_receipt_without_allocations_settles_oldest_first(api, customer, invoices):
    old, recent, _small = invoices

    response = api.post("/payments/", {"customer": customer.pk, "amount": "150"})

    assert response.status_code == 201
    receipt = response.json()
    assert receipt["date"] == "2026-12-10"
    assert receipt["method"] == "virement"
    assert [(p["invoice"], p["amount"]) for p in receipt["payments"]] == [(old.pk, "120.00"), (recent.pk, "30.00")]
    assert receipt["unallocated"] == "0.00"


def test_receipt_with_empty_allocations_is_credit(api, customer, invoices):
    response = api.post("/payments/", {"customer": customer.pk, "amount": "50.00", "allocations": []})

    assert response.status_code == 201
    assert response.json()["payments"] == []
    assert response.json()["unallocated"] == "50.00"
    credit = api.get("/customers/%s/credit" % customer.pk).json()
    assert credit == {"customer": customer.pk, "credits": [{"currency": "EUR", "amount": "50.00"}]}


def test_receipt_bank_fees_are_kept(api, customer, invoices):
    old = invoices[0]
    body = {"customer": customer.pk, "amount": "120", "bank_fees": "1.50", "method": "carte"}
    body["allocations"] = [{"invoice": old.pk, "amount": "120"}]

    response = api.post("/payments/", body)

    assert response.status_code == 201
    assert response.json()["bank_fees"] == "1.50"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"amount": "0"}, "amount", "supérieur à 0,00"),
        ({"amount": "abc"}, "amount", "nombre décimal"),
        ({"date": "2026-12-31"}, "date", "dans le futur"),
        ({"method": "bitcoin"}, "method", "bitcoin"),
        ({"currency": "USD"}, "currency", "USD"),
        ({"bank_fees": "-1"}, "bank_fees", "négatifs"),
        ({"reference": "x" * 141}, "reference", "140"),
        ({"customer": 999_999}, "customer", "Ce client n'existe pas"),
    ],
)
def test_bad_receipt_values_are_french_problems(api, customer, invoices, change, field, fragment):
    body = {"customer": customer.pk, "amount": "10.00", "allocations": []} | change

    response = api.post("/payments/", body)

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == field
    assert fragment in problem["errors"][0]["message"]
    assert not Receipt.objects.exists()


def test_allocation_over_balance_names_allocation(api, customer, invoices):
    old, recent, _small = invoices
    body = {
        "customer": customer.pk,
        "amount": "300",
        "allocations": [{"invoice": old.pk, "amount": "100"}, {"invoice": recent.pk, "amount": "130"}],
    }

    response = api.post("/payments/", body)

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"] == [
        {
            "field": "allocations.1.amount",
            "message": "Il ne reste que 120,00\xa0€ à payer sur la facture %s." % recent.number,
        }
    ]
    assert not Receipt.objects.exists()


def test_allocations_over_amount_are_refused(api, customer, invoices):
    old, recent, _small = invoices
    body = {
        "customer": customer.pk,
        "amount": "100",
        "allocations": [{"invoice": old.pk, "amount": "60"}, {"invoice": recent.pk, "amount": "60"}],
    }

    response = api.post("/payments/", body)

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == "allocations"
    assert "dépassent le montant reçu" in problem["errors"][0]["message"]


def test_allocation_invoices_are_checked(api, customer, other_customer, invoices, issued_invoice):
    foreign = make_invoice(other_customer, "10.00")
    credit_note = create_credit_note(issued_invoice)
    cases = [
        (999_999, "Aucune facture d'id 999999"),
        (foreign.pk, "n'est pas une facture du client"),
        (credit_note.pk, "émettez d'abord ce brouillon"),
        (invoices[0].pk, "apparaît deux fois"),
    ]
    allocations = [{"invoice": invoices[0].pk, "amount": "1"}]
    allocations += [{"invoice": invoice, "amount": "1"} for invoice, _fragment in cases]

    response = api.post("/payments/", {"customer": customer.pk, "amount": "10", "allocations": allocations})

    problem = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in problem["errors"]] == ["allocations.%s.invoice" % i for i in range(1, 5)]
    for error, (_invoice, fragment) in zip(problem["errors"], cases, strict=True):
        assert fragment in error["message"]


def test_issued_credit_note_is_not_an_allocation(api, issued_invoice, customer):
    credit_note = create_credit_note(issued_invoice)
    api.post("/invoices/%s/issue" % credit_note.pk)

    response = api.post(
        "/payments/",
        {"customer": customer.pk, "amount": "10", "allocations": [{"invoice": credit_note.pk, "amount": "1"}]},
    )

    problem = assert_problem(response, 422, "validation-error")
    assert "est un avoir" in problem["errors"][0]["message"]


def test_receipt_with_key_is_recorded_once(api, customer, invoices):
    headers = {"Idempotency-Key": "cheque-1234"}
    body = {"customer": customer.pk, "amount": "50"}

    first = api.post("/payments/", body, headers=headers)
    second = api.post("/payments/", body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert Receipt.objects.count() == 1


def test_receipt_webhooks_match_ui(api, organisation, customer, invoices):
    events = [EventType.PAYMENT_RECORDED, EventType.INVOICE_PAID]
    Subscription.objects.create(organisation=organisation, url="http://127.0.0.1:9/hooks", events=events)
    old = invoices[0]

    receipt = api.post("/payments/", {"customer": customer.pk, "amount": "130"}).json()

    queued = sorted(Delivery.objects.values_list("event_type", "object_id"))
    assert queued == sorted([(EventType.INVOICE_PAID, old.pk), (EventType.PAYMENT_RECORDED, receipt["id"])])


def test_reversal_cancels_receipt_and_payments(api, customer, invoices):
    old = invoices[0]
    receipt = api.post("/payments/", {"customer": customer.pk, "amount": "120"}).json()

    response = api.post("/payments/%s/reverse" % receipt["id"])

    assert response.status_code == 201
    reversal = response.json()
    assert reversal["reverses"] == receipt["id"]
    assert reversal["amount"] == "-120.00"
    assert reversal["date"] == "2026-12-10"
    assert [p["amount"] for p in reversal["payments"]] == ["-120.00"]
    assert api.get("/payments/%s" % receipt["id"]).json()["reversed_by"] == reversal["id"]
    assert api.get("/invoices/%s" % old.pk).json()["balance"] == "120.00"
    assert AuditEntry.objects.get(action="receipt.reversed").source == AuditSource.API


def test_reversal_twice_is_conflict(api, customer, invoices):
    receipt = api.post("/payments/", {"customer": customer.pk, "amount": "120"}).json()
    reversal = api.post("/payments/%s/reverse" % receipt["id"]).json()

    again = api.post("/payments/%s/reverse" % receipt["id"])
    of_reversal = api.post("/payments/%s/reverse" % reversal["id"])

    assert "déjà annulé" in assert_problem(again, 409, "conflict")["detail"]
    assert "annule déjà" in assert_problem(of_reversal, 409, "conflict")["detail"]
    assert Receipt.objects.count() == 2


def test_credit_refund_records_refund(api, customer, invoices):
    api.post("/payments/", {"customer": customer.pk, "amount": "50", "allocations": []})

    response = api.post(
        "/customers/%s/refunds" % customer.pk, {"amount": "30", "reference": "VIR remboursement", "method": "virement"}
    )

    assert response.status_code == 201
    refund = response.json()
    assert refund["kind"] == "refund"
    assert refund["amount"] == "30.00"
    assert customer_credit(customer) == Decimal("20.00")
    assert AuditEntry.objects.get(action="credit.refunded").source == AuditSource.API


def test_credit_refund_over_credit_is_refused(api, customer, invoices):
    api.post("/payments/", {"customer": customer.pk, "amount": "50", "allocations": []})

    response = api.post("/customers/%s/refunds" % customer.pk, {"amount": "60"})

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == "amount"
    assert "« 60 »" in problem["errors"][0]["message"]
    assert Receipt.objects.count() == 1


def test_credit_refund_without_credit_is_conflict(api, customer):
    response = api.post("/customers/%s/refunds" % customer.pk, {"amount": "10"})

    body = assert_problem(response, 409, "conflict")
    assert "n'a pas de crédit en EUR" in body["detail"]


def test_credit_applied_to_invoice(api, customer, invoices):
    _old, recent, _small = invoices
    receive_payment(customer, Decimal("50.00"), datetime.date(2026, 12, 9), allocations=[])

    response = api.post("/invoices/%s/apply-credit" % recent.pk, {"amount": "45"})

    assert response.status_code == 201
    assert [(p["invoice"], p["amount"]) for p in response.json()["payments"]] == [(recent.pk, "45.00")]
    assert response.json()["balance"] == "75.00"
    assert customer_credit(customer) == Decimal("5.00")
    assert AuditEntry.objects.get(action="credit.applied").source == AuditSource.API


def test_credit_applied_without_amount_takes_all(api, customer, invoices):
    receive_payment(customer, Decimal("50.00"), datetime.date(2026, 12, 9), allocations=[])

    response = api.post("/invoices/%s/apply-credit" % invoices[2].pk, {})

    assert response.status_code == 201
    assert response.json()["balance"] == "10.00"


def test_credit_apply_errors(api, customer, invoices):
    no_credit = api.post("/invoices/%s/apply-credit" % invoices[0].pk, {})
    receive_payment(customer, Decimal("50.00"), datetime.date(2026, 12, 9), allocations=[])
    too_much = api.post("/invoices/%s/apply-credit" % invoices[0].pk, {"amount": "60"})

    assert "n'a pas de crédit" in assert_problem(no_credit, 409, "conflict")["detail"]
    assert assert_problem(too_much, 422, "validation-error")["errors"][0]["field"] == "amount"
    assert not Payment.objects.filter(from_credit=True).exists()


def test_receipt_list_filters(api, customer, other_customer, invoices):
    foreign = make_invoice(other_customer, "10.00")
    first = receive_payment(customer, Decimal("120.00"), datetime.date(2026, 12, 1), "cheque")
    second = receive_payment(customer, Decimal("30.00"), datetime.date(2026, 12, 8), "virement")
    third = receive_payment(other_customer, Decimal("12.00"), datetime.date(2026, 12, 9), "carte")
    old = invoices[0]

    def ids(**params):
        return [item["id"] for item in api.get("/payments/", **params).json()["items"]]

    assert ids() == [third.pk, second.pk, first.pk]
    assert ids(customer=other_customer.pk) == [third.pk]
    assert ids(method="cheque") == [first.pk]
    assert ids(date_from="2026-12-02", date_to="2026-12-08") == [second.pk]
    assert ids(invoice=old.pk) == [first.pk]
    assert ids(invoice=foreign.pk) == [third.pk]
    assert ids(per_page=1, page=2) == [second.pk]


def test_receipt_list_rejects_reversed_dates_and_bad_method(api):
    reversed_dates = api.get("/payments/", date_from="2026-12-08", date_to="2026-12-01")
    bad_method = api.get("/payments/", method="bitcoin")

    assert assert_problem(reversed_dates, 422, "validation-error")["errors"][0]["field"] == "date_from"
    assert assert_problem(bad_method, 422, "validation-error")["errors"][0]["field"] == "method"


def test_read_only_token_cannot_record(read_api, customer, invoices):
    receipt = receive_payment(customer, Decimal("50.00"), datetime.date(2026, 12, 9), allocations=[])

    writes = [
        read_api.post("/payments/", {"customer": customer.pk, "amount": "10"}),
        read_api.post("/payments/%s/reverse" % receipt.pk),
        read_api.post("/customers/%s/refunds" % customer.pk, {"amount": "10"}),
        read_api.post("/invoices/%s/apply-credit" % invoices[0].pk, {}),
    ]

    for response in writes:
        assert_problem(response, 403, "forbidden")
    assert Receipt.objects.count() == 1
    assert read_api.get("/customers/%s/credit" % customer.pk).status_code == 200
    assert read_api.get("/payments/%s" % receipt.pk).status_code == 200


def test_other_organisation_gets_404(other_api, customer, invoices):
    receipt = receive_payment(customer, Decimal("50.00"), datetime.date(2026, 12, 9), allocations=[])

    responses = [
        other_api.get("/payments/%s" % receipt.pk),
        other_api.post("/payments/%s/reverse" % receipt.pk),
        other_api.get("/customers/%s/credit" % customer.pk),
        other_api.post("/customers/%s/refunds" % customer.pk, {"amount": "10"}),
        other_api.post("/invoices/%s/apply-credit" % invoices[0].pk, {}),
    ]

    for response in responses:
        body = assert_problem(response, 404, "not-found")
        assert "Boulangerie" not in str(body)
    assert Receipt.objects.count() == 1
    assert other_api.get("/payments/", customer=customer.pk).json()["count"] == 0


def test_other_organisation_customer_cannot_pay(other_api, customer, invoices):
    response = other_api.post(
        "/payments/",
        {"customer": customer.pk, "amount": "10", "allocations": [{"invoice": invoices[0].pk, "amount": "1"}]},
    )

    problem = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in problem["errors"]] == ["allocations.0.invoice"]
    assert "Boulangerie" not in str(problem)
    assert not Receipt.objects.exists()


def test_invoice_payment_endpoint_is_kept(api, invoices):
    old = invoices[0]

    response = api.post("/invoices/%s/payments" % old.pk, {"amount": "100", "date": "2026-12-09"})

    assert response.status_code == 201
    assert response.json()["amount"] == "100.00"
    receipt = api.get("/payments/%s" % response.json()["receipt"]).json()
    assert receipt["amount"] == "100.00"
    assert api.get("/invoices/%s" % old.pk).json()["balance"] == "20.00"
