"""Credit notes through the API: create, update the draft, issue, send, download, « Annuler et remplacer »."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ardoise.audit.models import AuditEntry, AuditSource
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.models import DocumentType, Invoice, IssuedFile
from ardoise.mailing.models import OutboundEmail
from ardoise.webhooks.models import Delivery, EventType, Subscription

from .test_auth import assert_problem


def credit_notes():
    return Invoice.objects.filter(type_code=DocumentType.CREDIT_NOTE)


def line_ids(invoice):
    return [line.pk for line in invoice.lines.order_by("position")]


def test_whole_credit_note_reverses_invoice(api, issued_invoice):
    response = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {"notes": "Commande annulée"})

    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "credit_note"
    assert body["status"] == "draft"
    assert body["credited_invoice"] == issued_invoice.pk
    assert body["notes"] == "Commande annulée"
    assert body["total_with_vat"] == str(issued_invoice.total_with_vat)
    assert [line["credited_line"] for line in body["lines"]] == line_ids(issued_invoice)
    assert [line["quantity"] for line in body["lines"]] == ["12.5000", "3.0000"]
    assert response["Location"] == "/api/v1/invoices/%s" % body["id"]
    entry = AuditEntry.objects.get(action="credit_note.draft_created")
    assert entry.source == AuditSource.API


def test_partial_credit_note_takes_chosen_lines(api, issued_invoice):
    second_line = line_ids(issued_invoice)[1]

    response = api.post(
        "/invoices/%s/credit-notes" % issued_invoice.pk, {"lines": [{"line": second_line, "quantity": "1"}]}
    )

    assert response.status_code == 201
    lines = response.json()["lines"]
    assert [(line["credited_line"], line["quantity"]) for line in lines] == [(second_line, "1.0000")]
    assert response.json()["total_without_vat"] == "28.44"


def test_credit_quantity_over_remaining_names_line(api, issued_invoice):
    first_line = line_ids(issued_invoice)[0]

    response = api.post(
        "/invoices/%s/credit-notes" % issued_invoice.pk, {"lines": [{"line": first_line, "quantity": "13"}]}
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "lines.0.quantity"
    assert "12,5" in body["errors"][0]["message"]
    assert not credit_notes().exists()


@pytest.mark.parametrize(
    ("line", "quantity", "field", "fragment"),
    [
        (None, "-1", "lines.0.quantity", "positif ou nul"),
        (None, "1.23456", "lines.0.quantity", "« 1.23456 » a trop de chiffres après la virgule"),
        (999_999, "1", "lines.0.line", "pas de ligne d'id 999999"),
        (None, "0", "lines", "Indiquez au moins une ligne"),
    ],
)
def test_bad_credit_lines_are_french_problems(api, issued_invoice, line, quantity, field, fragment):
    line = line or line_ids(issued_invoice)[0]

    response = api.post(
        "/invoices/%s/credit-notes" % issued_invoice.pk, {"lines": [{"line": line, "quantity": quantity}]}
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == field
    assert fragment in body["errors"][0]["message"]
    assert not credit_notes().exists()


def test_line_named_twice_is_refused(api, issued_invoice):
    line = line_ids(issued_invoice)[0]
    lines = [{"line": line, "quantity": "1"}, {"line": line, "quantity": "2"}]

    response = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {"lines": lines})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "lines.1.line"


def test_line_of_another_invoice_is_refused(api, issued_invoice, customer):
    other = api.post("/invoices/", {"customer": customer.pk, "lines": [{"name": "Autre", "unit_price": 1}]}).json()

    response = api.post(
        "/invoices/%s/credit-notes" % issued_invoice.pk,
        {"lines": [{"line": other["lines"][0]["id"], "quantity": "1"}]},
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "lines.0.line"


def test_fully_credited_line_is_refused(api, issued_invoice):
    first_line = line_ids(issued_invoice)[0]
    create_credit_note(issued_invoice, {1: Decimal("12.5")})

    response = api.post(
        "/invoices/%s/credit-notes" % issued_invoice.pk, {"lines": [{"line": first_line, "quantity": "1"}]}
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "lines.0.quantity"
    assert "il ne reste que 0" in body["errors"][0]["message"]
    assert credit_notes().count() == 1


def test_draft_invoice_cannot_be_credited(api, draft_invoice):
    response = api.post("/invoices/%s/credit-notes" % draft_invoice.pk, {})

    body = assert_problem(response, 409, "conflict")
    assert "n'est pas émis" in body["detail"]


def test_credit_note_cannot_be_credited(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice)

    response = api.post("/invoices/%s/credit-notes" % credit_note.pk, {})

    assert_problem(response, 409, "conflict")


def test_fully_credited_invoice_is_conflict(api, issued_invoice):
    create_credit_note(issued_invoice)

    response = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {})

    body = assert_problem(response, 409, "conflict")
    assert "il ne reste rien à créditer" in body["detail"]


def test_creation_with_key_happens_once(api, issued_invoice):
    headers = {"Idempotency-Key": "retour-42"}

    first = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {}, headers=headers)
    second = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert credit_notes().count() == 1


def test_draft_update_changes_quantities_and_notes(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice)
    first_line = line_ids(issued_invoice)[0]

    response = api.patch(
        "/credit-notes/%s" % credit_note.pk, {"lines": [{"line": first_line, "quantity": "2.5"}], "notes": "Remise"}
    )

    assert response.status_code == 200
    body = response.json()
    assert [(line["credited_line"], line["quantity"]) for line in body["lines"]] == [(first_line, "2.5000")]
    assert body["notes"] == "Remise"
    assert AuditEntry.objects.get(action="credit_note.draft_updated").source == AuditSource.API


def test_draft_update_without_lines_keeps_them(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice, {2: Decimal("1")})

    response = api.patch("/credit-notes/%s" % credit_note.pk, {"notes": "Livre abîmé"})

    assert response.status_code == 200
    assert [line["quantity"] for line in response.json()["lines"]] == ["1.0000"]
    assert response.json()["notes"] == "Livre abîmé"


def test_draft_update_without_notes_keeps_them(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice, notes="Motif gardé")
    second_line = line_ids(issued_invoice)[1]

    response = api.patch("/credit-notes/%s" % credit_note.pk, {"lines": [{"line": second_line, "quantity": "3"}]})

    assert response.status_code == 200
    assert response.json()["notes"] == "Motif gardé"


def test_issued_credit_note_cannot_be_updated(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice)
    api.post("/invoices/%s/issue" % credit_note.pk)

    response = api.patch("/credit-notes/%s" % credit_note.pk, {"notes": "Trop tard"})

    body = assert_problem(response, 409, "conflict")
    assert "il ne peut plus être modifié" in body["detail"]


def test_invoice_patch_rejects_credit_note(api, issued_invoice):
    credit_note = create_credit_note(issued_invoice)

    response = api.patch("/invoices/%s" % credit_note.pk, {"notes": "x"})

    body = assert_problem(response, 409, "conflict")
    assert "/api/v1/credit-notes/%s" % credit_note.pk in body["detail"]


def test_credit_notes_path_does_not_serve_invoices(api, issued_invoice):
    assert_problem(api.get("/credit-notes/%s" % issued_invoice.pk), 404, "not-found")
    assert_problem(api.patch("/credit-notes/%s" % issued_invoice.pk, {"notes": "x"}), 404, "not-found")


def test_created_issued_sent_and_downloaded(api, issued_invoice, organisation):
    Subscription.objects.create(
        organisation=organisation, url="http://127.0.0.1:9/hooks", events=["credit_note.issued"]
    )
    created = api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {}).json()

    issued = api.post("/invoices/%s/issue" % created["id"])
    sent = api.post("/invoices/%s/send" % created["id"], {"to": "compta@boulangerie-martin.fr"})
    facturx = api.get("/invoices/%s/facturx" % created["id"])
    cii = api.get("/invoices/%s/cii" % created["id"])
    ubl = api.get("/invoices/%s/ubl" % created["id"])
    read = api.get("/credit-notes/%s" % created["id"])
    listed = api.get("/invoices/", credited_invoice=issued_invoice.pk).json()

    assert issued.status_code == 200
    assert issued.json()["number"] not in ("", issued_invoice.number)
    assert sent.status_code == 200
    assert OutboundEmail.objects.get().invoice_id == created["id"]
    assert facturx.content == bytes(IssuedFile.objects.get(invoice_id=created["id"]).pdf)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in cii.content
    assert b"CreditNote" in ubl.content
    assert read.json()["number"] == issued.json()["number"]
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert Delivery.objects.filter(event_type=EventType.CREDIT_NOTE_ISSUED, object_id=created["id"]).count() == 1


def test_cancel_and_replace_issues_and_copies(api, issued_invoice):
    response = api.post("/invoices/%s/cancel-and-replace" % issued_invoice.pk)

    assert response.status_code == 201
    body = response.json()
    assert body["credit_note"]["status"] == "issued"
    assert body["credit_note"]["total_with_vat"] == str(issued_invoice.total_with_vat)
    assert body["replacement"]["status"] == "draft"
    assert [line["name"] for line in body["replacement"]["lines"]] == [
        line.name for line in issued_invoice.lines.order_by("position")
    ]
    assert response["Location"] == "/api/v1/invoices/%s" % body["replacement"]["id"]
    assert AuditEntry.objects.get(action="invoice.cancelled_and_replaced").source == AuditSource.API


def test_cancel_and_replace_refused_with_pending_draft(api, issued_invoice):
    pending = create_credit_note(issued_invoice, {2: Decimal("1")})

    response = api.post("/invoices/%s/cancel-and-replace" % issued_invoice.pk)

    body = assert_problem(response, 409, "conflict")
    assert "n° %s" % pending.pk in body["detail"]
    assert credit_notes().count() == 1


def test_read_only_token_cannot_write_credit_notes(read_api, issued_invoice):
    credit_note = create_credit_note(issued_invoice, {2: Decimal("1")})

    writes = [
        read_api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {}),
        read_api.patch("/credit-notes/%s" % credit_note.pk, {"notes": "x"}),
        read_api.post("/invoices/%s/cancel-and-replace" % issued_invoice.pk),
    ]

    for response in writes:
        assert_problem(response, 403, "forbidden")
    assert read_api.get("/credit-notes/%s" % credit_note.pk).status_code == 200
    assert credit_notes().count() == 1


def test_other_organisation_gets_404(other_api, issued_invoice):
    credit_note = create_credit_note(issued_invoice, {2: Decimal("1")})

    responses = [
        other_api.post("/invoices/%s/credit-notes" % issued_invoice.pk, {}),
        other_api.get("/credit-notes/%s" % credit_note.pk),
        other_api.patch("/credit-notes/%s" % credit_note.pk, {"notes": "Volé"}),
        other_api.post("/invoices/%s/cancel-and-replace" % issued_invoice.pk),
    ]

    for response in responses:
        body = assert_problem(response, 404, "not-found")
        assert "Boulangerie" not in str(body)
    assert credit_notes().count() == 1
    credit_note.refresh_from_db()
    assert credit_note.notes == ""
    assert other_api.get("/invoices/", credited_invoice=issued_invoice.pk).json()["count"] == 0
