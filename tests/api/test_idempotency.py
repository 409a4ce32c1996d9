"""The Idempotency-Key header: one creation per key, the first response replayed, 409 for another body."""

from __future__ import annotations

from django.utils import timezone

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import Payment

from .test_auth import assert_problem


def test_same_key_and_body_creates_invoice_once(api, customer, product):
    body = {"customer": customer.pk, "lines": [{"product": product.pk, "quantity": "3"}]}
    headers = {"Idempotency-Key": "commande-1042"}

    first = api.post("/invoices/", body, headers=headers)
    second = api.post("/invoices/", body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert Invoice.objects.count() == 1


def test_same_key_with_other_body_is_409(api, customer):
    headers = {"Idempotency-Key": "commande-1043"}
    api.post("/invoices/", {"customer": customer.pk}, headers=headers)

    response = api.post("/invoices/", {"customer": customer.pk, "notes": "Autre"}, headers=headers)

    body = assert_problem(response, 409, "idempotency-key-reused")
    assert body["errors"] == [{"field": "Idempotency-Key", "message": "Clé déjà utilisée avec un autre contenu."}]
    assert Invoice.objects.count() == 1


def test_without_key_each_request_creates(api, customer):
    api.post("/invoices/", {"customer": customer.pk})
    api.post("/invoices/", {"customer": customer.pk})

    assert Invoice.objects.count() == 2


def test_failed_request_does_not_burn_key(api):
    headers = {"Idempotency-Key": "client-7"}

    refused = api.post("/customers/", {"name": ""}, headers=headers)
    accepted = api.post("/customers/", {"name": "Épicerie Rossi"}, headers=headers)

    assert refused.status_code == 422
    assert accepted.status_code == 201
    assert Customer.objects.filter(name="Épicerie Rossi").count() == 1


def test_keys_belong_to_one_token(api, read_api, other_api, customer):
    headers = {"Idempotency-Key": "partagee"}
    api.post("/customers/", {"name": "Client A"}, headers=headers)

    other = other_api.post("/customers/", {"name": "Client A"}, headers=headers)

    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert Customer.objects.filter(name="Client A").count() == 2


def test_payment_with_key_is_recorded_once(api, issued_invoice):
    today = timezone.localdate().isoformat()
    headers = {"Idempotency-Key": "virement-%s" % today}
    body = {"amount": "65.00", "date": today}

    first = api.post("/invoices/%s/payments" % issued_invoice.pk, body, headers=headers)
    second = api.post("/invoices/%s/payments" % issued_invoice.pk, body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Payment.objects.count() == 1


def test_overlong_key_is_validation_error(api, customer):
    response = api.post("/customers/", {"name": "X"}, headers={"Idempotency-Key": "k" * 256})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "Idempotency-Key"
