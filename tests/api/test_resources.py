"""Each endpoint with a read-write token, a read-only token, and another organisation's token."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from ardoise.audit.models import AuditEntry, AuditSource
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.mailing.models import OutboundEmail
from ardoise.payments.models import Payment

from .test_auth import assert_problem


def _today():
    """The issued invoices carry today's date, so a payment cannot be dated earlier."""
    return timezone.localdate().isoformat()


READ_PATHS = [
    "/customers/{customer}",
    "/products/{product}",
    "/invoices/{issued}",
    "/invoices/{issued}/pdf",
    "/invoices/{issued}/facturx",
    "/invoices/{issued}/cii",
    "/invoices/{issued}/ubl",
]


def paths(customer, product, issued_invoice):
    ids = {"customer": customer.pk, "product": product.pk, "issued": issued_invoice.pk}
    return [path.format(**ids) for path in READ_PATHS]


def test_read_endpoints_answer_both_scopes(api, read_api, customer, product, issued_invoice):
    for client in (api, read_api):
        for path in paths(customer, product, issued_invoice):
            assert client.get(path).status_code == 200, path
        for path in ("/customers/", "/products/", "/invoices/", "/payments/"):
            assert client.get(path).status_code == 200, path


def test_other_organisation_gets_404_everywhere(other_api, customer, product, issued_invoice, draft_invoice):
    for path in paths(customer, product, issued_invoice):
        assert_problem(other_api.get(path), 404, "not-found")
    writes = [
        other_api.patch("/customers/%s" % customer.pk, {"name": "Volé"}),
        other_api.patch("/products/%s" % product.pk, {"name": "Volé"}),
        other_api.patch("/invoices/%s" % draft_invoice.pk, {"notes": "Volé"}),
        other_api.post("/invoices/%s/issue" % draft_invoice.pk),
        other_api.post("/invoices/%s/send" % issued_invoice.pk, {}),
        other_api.post("/invoices/%s/payments" % issued_invoice.pk, {"amount": "10"}),
    ]
    for response in writes:
        assert_problem(response, 404, "not-found")
    for path in ("/customers/", "/products/", "/invoices/", "/payments/"):
        assert other_api.get(path).json()["count"] == 0
    customer.refresh_from_db()
    assert customer.name == "Boulangerie Martin SAS"


def test_other_organisation_customer_cannot_be_invoiced(other_api, customer):
    response = other_api.post("/invoices/", {"customer": customer.pk, "lines": []})

    body = assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["customer"]


def test_customer_create_uses_form_rules(api):
    response = api.post("/customers/", {"name": "Société Test", "siren": "123"})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "siren"
    assert "« 123 »" in body["errors"][0]["message"]
    assert not Customer.objects.filter(name="Société Test").exists()


def test_customer_update_keeps_fields_left_out(api, customer):
    response = api.patch("/customers/%s" % customer.pk, {"phone": "04 78 00 00 00"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.phone == "04 78 00 00 00"
    assert customer.siren == "552081317"
    entry = AuditEntry.objects.get(action="customer.updated")
    assert entry.data["changes"]["phone"] == ["", "04 78 00 00 00"]


def test_customer_list_searches_and_paginates(api, organisation):
    for index in range(3):
        Customer.objects.create(organisation=organisation, name="Client %s" % index, email="c%s@x.fr" % index)

    page = api.get("/customers/", q="Client", per_page=2, page=2).json()

    assert page["count"] == 3
    assert [item["name"] for item in page["items"]] == ["Client 2"]


def test_product_create_and_update(api):
    created = api.post("/products/", {"name": "Audit", "unit_price": 450, "vat_rate": 20, "unit": "DAY"})

    assert created.status_code == 201
    product = created.json()
    assert product["unit_price"] == "450.0000"
    assert product["vat_rate"] == "20.00"
    updated = api.patch("/products/%s" % product["id"], {"unit_price": "-1"})
    body = assert_problem(updated, 422, "validation-error")
    assert body["errors"] == [{"field": "unit_price", "message": "Le prix unitaire ne peut pas être négatif."}]


def test_invoice_draft_created_from_catalogue(api, customer, product):
    response = api.post(
        "/invoices/",
        {
            "customer": customer.pk,
            "lines": [{"product": product.pk, "quantity": "2"}, {"name": "Frais", "unit_price": 10}],
        },
    )

    assert response.status_code == 201
    invoice = response.json()
    assert invoice["status"] == "draft"
    assert invoice["type"] == "invoice"
    assert [line["name"] for line in invoice["lines"]] == [product.name, "Frais"]
    expected = product.unit_price * 2 + 10
    assert Decimal(invoice["total_without_vat"]) == expected.quantize(Decimal("0.01"))
    assert response["Location"] == "/api/v1/invoices/%s" % invoice["id"]
    entry = AuditEntry.objects.get(action="invoice.draft_created")
    assert entry.source == AuditSource.API


def test_invoice_line_errors_name_the_line(api, customer):
    response = api.post(
        "/invoices/", {"customer": customer.pk, "lines": [{"name": "A", "unit_price": 1}, {"name": "B"}]}
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "lines.1.unit_price"
    assert Invoice.objects.count() == 0


def test_invoice_update_replaces_lines(api, draft_invoice):
    response = api.patch("/invoices/%s" % draft_invoice.pk, {"lines": [{"name": "Seule ligne", "unit_price": "5"}]})

    assert response.status_code == 200
    body = response.json()
    assert [line["name"] for line in body["lines"]] == ["Seule ligne"]
    assert body["total_without_vat"] == "5.00"
    assert body["total_with_vat"] == "6.00"


def test_invoice_update_without_lines_keeps_them(api, draft_invoice):
    response = api.patch("/invoices/%s" % draft_invoice.pk, {"purchase_order": "BC-42"})

    assert response.status_code == 200
    assert response.json()["purchase_order"] == "BC-42"
    assert len(response.json()["lines"]) == 2
    assert response.json()["total_with_vat"] == str(draft_invoice.total_with_vat)


def test_issued_invoice_cannot_be_updated(api, issued_invoice):
    response = api.patch("/invoices/%s" % issued_invoice.pk, {"notes": "Trop tard"})

    body = assert_problem(response, 409, "conflict")
    assert "F-2026-0001" in body["detail"]


def test_issue_lists_blocking_problems(api, draft_invoice):
    customer = draft_invoice.customer
    Customer.objects.filter(pk=customer.pk).update(address_line1="")

    response = api.post("/invoices/%s/issue" % draft_invoice.pk)

    body = assert_problem(response, 409, "conflict")
    assert any("adresse de facturation" in error["message"] for error in body["errors"])
    draft_invoice.refresh_from_db()
    assert draft_invoice.is_draft


def test_issue_then_download_then_pay(api, draft_invoice):
    issued = api.post("/invoices/%s/issue" % draft_invoice.pk)
    assert issued.status_code == 200
    assert issued.json()["number"].startswith("F-")

    facturx = api.get("/invoices/%s/facturx" % draft_invoice.pk)
    pdf = api.get("/invoices/%s/pdf" % draft_invoice.pk)
    cii = api.get("/invoices/%s/cii" % draft_invoice.pk)
    ubl = api.get("/invoices/%s/ubl" % draft_invoice.pk)
    assert facturx["Content-Type"] == pdf["Content-Type"] == "application/pdf"
    assert facturx.content.startswith(b"%PDF")
    assert pdf.content.startswith(b"%PDF")
    assert facturx.content == bytes(IssuedFile.objects.get(invoice=draft_invoice).pdf)
    assert pdf.content != facturx.content
    assert b"CrossIndustryInvoice" in cii.content
    assert b"urn:oasis:names:specification:ubl" in ubl.content

    paid = api.post("/invoices/%s/payments" % draft_invoice.pk, {"amount": "100.00", "date": _today()})
    assert paid.status_code == 201
    assert Payment.objects.get().amount == Decimal("100.00")
    invoice = api.get("/invoices/%s" % draft_invoice.pk).json()
    assert invoice["payment_state"] == "partially_paid"
    receipts = api.get("/payments/").json()
    assert receipts["items"][0]["payments"][0]["invoice"] == draft_invoice.pk


def test_payment_over_balance_is_validation_error(api, issued_invoice):
    response = api.post("/invoices/%s/payments" % issued_invoice.pk, {"amount": "0", "date": _today()})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "amount"


def test_draft_has_no_files(api, draft_invoice):
    assert_problem(api.get("/invoices/%s/pdf" % draft_invoice.pk), 409, "conflict")


def test_send_writes_the_email(api, issued_invoice):
    response = api.post("/invoices/%s/send" % issued_invoice.pk, {"to": "compta@boulangerie-martin.fr"})

    assert response.status_code == 200
    outbound = OutboundEmail.objects.get()
    assert response.json()["id"] == outbound.pk
    assert outbound.to == "compta@boulangerie-martin.fr"
    assert AuditEntry.objects.filter(action="email.sent", source=AuditSource.API).exists()


def test_send_rejects_bad_address(api, issued_invoice):
    response = api.post("/invoices/%s/send" % issued_invoice.pk, {"to": "pas-une-adresse"})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "to"
    assert not OutboundEmail.objects.exists()


@pytest.mark.usefixtures("december_2026")
def test_invoice_list_filters_by_type_and_state(api, issued_invoice, customer):
    draft = api.post("/invoices/", {"customer": customer.pk}).json()

    drafts = api.get("/invoices/", state="draft").json()
    issued = api.get("/invoices/", state="issued", type="invoice").json()
    credit_notes = api.get("/invoices/", type="credit_note").json()

    assert [item["id"] for item in drafts["items"]] == [draft["id"]]
    assert [item["id"] for item in issued["items"]] == [issued_invoice.pk]
    assert credit_notes["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 12}, "name"),
        ({"payment_terms_days": "abc"}, "payment_terms_days"),
        ({"inconnu": "x"}, "inconnu"),
    ],
)
def test_schema_errors_are_french_problems(api, body, field):
    response = api.post("/customers/", body)

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["message"]


def test_malformed_json_is_a_problem(api):
    response = api.client.post(
        "/api/v1/customers/", "{pas du json", content_type="application/json", headers=api.headers
    )

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_out_of_range_ids_are_validation_errors(api):
    assert_problem(api.get("/customers/%s" % (2**64)), 422, "validation-error")
    assert_problem(api.get("/customers/0"), 422, "validation-error")


def test_credit_note_is_distinguished_and_issued(api, issued_invoice):
    from ardoise.invoicing.credit_notes import create_credit_note

    credit_note = create_credit_note(issued_invoice)

    listed = api.get("/invoices/", type="credit_note").json()
    refused = api.patch("/invoices/%s" % credit_note.pk, {"notes": "x"})
    issued = api.post("/invoices/%s/issue" % credit_note.pk)

    assert [item["id"] for item in listed["items"]] == [credit_note.pk]
    assert listed["items"][0]["type"] == "credit_note"
    assert listed["items"][0]["type_code"] == "381"
    assert listed["items"][0]["credited_invoice"] == issued_invoice.pk
    assert_problem(refused, 409, "conflict")
    assert issued.status_code == 200
    assert issued.json()["number"]


def test_invoice_list_searches_number_and_customer(api, issued_invoice):
    by_number = api.get("/invoices/", q=issued_invoice.number).json()
    by_customer = api.get("/invoices/", q="Boulangerie").json()
    nothing = api.get("/invoices/", q="Inconnu").json()

    assert [item["number"] for item in by_number["items"]] == [issued_invoice.number]
    assert by_customer["count"] == 1
    assert nothing["count"] == 0
