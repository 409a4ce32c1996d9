"""Quotes through the API: drafts, issue, e-mail, decision, versions, PDF and invoices made from them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ardoise.audit.models import AuditEntry, AuditSource
from ardoise.invoicing.models import DocumentType, Invoice
from ardoise.mailing.models import OutboundEmail
from ardoise.quotes.billing_models import QuoteInvoice
from ardoise.quotes.models import Quote, QuoteFile, QuoteKind, QuoteLine, QuoteStatus
from ardoise.quotes.services import issue, quote_settings, save_draft
from ardoise.webhooks.models import Delivery, EventType, Subscription
from tests.quotes.conftest import ISSUE_DAY

from .test_auth import assert_problem

D = Decimal


def make_quote(organisation, customer, *, kind=QuoteKind.QUOTE, price="100", issued=False) -> Quote:
    quote = save_draft(
        Quote(organisation=organisation, customer=customer, kind=kind),
        [QuoteLine(name="Audit", quantity=D("1"), unit_price=D(price), vat_rate=D("20"))],
    )
    return issue(quote, today=ISSUE_DAY) if issued else quote


def quote_lines(quote):
    return list(quote.lines.order_by("position", "id"))


# Reading


def test_read_gives_lines_totals_and_rates(api, issued_quote):
    response = api.get("/quotes/%s" % issued_quote.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "quote"
    assert body["status"] == "issued"
    assert body["number"] == "D-2026-0001"
    assert body["issue_date"] == "2026-12-04"
    assert body["validity_date"] == "2027-01-03"
    assert body["conditions"] == "Travaux réalisés sous quatre semaines."
    assert [line["name"] for line in body["lines"]] == ["Développement web", "Livre « Lumière »"]
    assert [line["quantity"] for line in body["lines"]] == ["12.5000", "3.0000"]
    assert body["lines"][1]["kind"] == "goods"
    assert body["total_without_vat"] == "808.03"
    assert body["total_vat"] == "150.47"
    assert body["total_with_vat"] == "958.50"
    assert body["vat_breakdown"] == [
        {"category": "S", "rate": "20.00", "base": "731.25", "vat": "146.25"},
        {"category": "S", "rate": "5.50", "base": "76.78", "vat": "4.22"},
    ]
    assert body["versions"] == [{"id": issued_quote.pk, "number": "D-2026-0001", "version": 1, "status": "issued"}]
    assert body["invoices"] == []
    assert body["invoiced"] is None
    assert body["remaining_to_invoice"] is None


def test_draft_breakdown_is_live(api, draft_quote):
    body = api.get("/quotes/%s" % draft_quote.pk).json()

    assert body["status"] == "draft"
    assert body["number"] == ""
    assert [row["base"] for row in body["vat_breakdown"]] == ["731.25", "76.78"]
    assert body["total_with_vat"] == "958.50"


def test_list_filters_and_paginates(api, organisation, customer):
    draft = make_quote(organisation, customer)
    proforma = make_quote(organisation, customer, kind=QuoteKind.PROFORMA, issued=True)
    issued = make_quote(organisation, customer, issued=True)

    def ids(**params):
        return [item["id"] for item in api.get("/quotes/", **params).json()["items"]]

    assert ids() == [issued.pk, proforma.pk, draft.pk]
    assert ids(status="draft") == [draft.pk]
    assert ids(kind="proforma") == [proforma.pk]
    assert ids(q="PF-2026") == [proforma.pk]
    assert ids(q="boulangerie") == [issued.pk, proforma.pk, draft.pk]
    assert ids(customer=customer.pk, status="issued") == [issued.pk, proforma.pk]
    assert ids(issued_from="2026-12-04", issued_to="2026-12-04") == [issued.pk, proforma.pk]
    assert ids(issued_from="2026-12-05") == []
    assert ids(valid_to="2027-01-02") == []
    assert ids(valid_from="2027-01-03") == [issued.pk, proforma.pk]
    page = api.get("/quotes/", per_page=1, page=2).json()
    assert (page["count"], page["page"], page["per_page"]) == (3, 2, 1)
    assert [item["id"] for item in page["items"]] == [proforma.pk]


def test_list_queries_do_not_grow_with_quotes(api, organisation, customer, django_assert_max_num_queries):
    for index in range(12):
        make_quote(organisation, customer, issued=index % 2 == 0)

    # The token, its last use, the count, the quotes, their lines and their revisions.
    with django_assert_max_num_queries(6):
        response = api.get("/quotes/")

    assert response.json()["count"] == 12


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "signed"}, "status"),
        ({"kind": "invoice"}, "kind"),
        ({"issued_from": "04/12/2026"}, "issued_from"),
        ({"per_page": "101"}, "per_page"),
        ({"q": "D-\x00"}, "q"),
    ],
)
def test_bad_list_parameters_are_french_problems(api, params, field):
    body = assert_problem(api.get("/quotes/", **params), 422, "validation-error")

    assert body["errors"][0]["field"] == field


# Drafts


def test_draft_created_from_catalogue_and_free_line(api, organisation, customer, product):
    quote_settings(organisation)
    organisation.quote_settings.default_conditions = "Acompte de 30 % à la commande."
    organisation.quote_settings.save()

    response = api.post(
        "/quotes/",
        {
            "customer": customer.pk,
            "validity_date": "2027-02-01",
            "deposit_percent": "30",
            "auto_deposit_on_acceptance": True,
            "lines": [
                {"product": product.pk, "quantity": "2"},
                {"name": "Déplacement", "unit_price": "45.50", "vat_rate": "10"},
            ],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == "/api/v1/quotes/%s" % body["id"]
    assert body["status"] == "draft"
    assert body["kind"] == "quote"
    assert body["conditions"] == "Acompte de 30 % à la commande."
    assert body["validity_date"] == "2027-02-01"
    assert body["deposit_percent"] == "30.00"
    assert body["auto_deposit_on_acceptance"] is True
    assert [(line["product"], line["name"], line["unit_price"]) for line in body["lines"]] == [
        (product.pk, "Développement web", "65.000000"),
        (None, "Déplacement", "45.500000"),
    ]
    assert body["total_without_vat"] == "175.50"
    assert body["total_with_vat"] == "206.05"
    entry = AuditEntry.objects.get(action="quote.draft_created")
    assert entry.source == AuditSource.API
    assert entry.data["api_token"] == "Boutique"


def test_proforma_draft_is_created(api, customer):
    response = api.post(
        "/quotes/", {"customer": customer.pk, "kind": "proforma", "lines": [{"name": "Lot", "unit_price": 10}]}
    )

    assert response.status_code == 201
    assert Quote.objects.get(pk=response.json()["id"]).kind == QuoteKind.PROFORMA


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({}, "customer", "obligatoire"),
        ({"customer": 999_999}, "customer", "choix valide"),
        ({"lines": [{"name": "Audit", "unit_price": "abc"}]}, "lines.0.unit_price", "nombre décimal"),
        (
            {"lines": [{"name": "Audit", "unit_price": "1", "quantity": "1.23456"}]},
            "lines.0.quantity",
            "4 chiffres après la virgule",
        ),
        ({"lines": [{"unit_price": "1"}]}, "lines.0.name", "obligatoire"),
        ({"deposit_percent": "150"}, "deposit_percent", "100"),
        ({"discount_value": "120"}, "discount_value", "100 %"),
        ({"validity_date": "2026-13-01"}, "validity_date", "AAAA-MM-JJ"),
        ({"kind": "invoice"}, "kind", "non autorisée"),
        ({"total": "1"}, "total", "n'existe pas"),
    ],
)
def test_bad_draft_values_are_french_problems(api, customer, body, field, fragment):
    payload = {"customer": customer.pk, **body} if body and "customer" not in body else body

    response = api.post("/quotes/", payload)

    problem = assert_problem(response, 422, "validation-error")
    errors = {error["field"]: error["message"] for error in problem["errors"]}
    assert field in errors, problem["errors"]
    assert fragment in errors[field]
    assert not Quote.objects.exists()


def test_other_organisation_product_is_refused(api, customer, other_organisation):
    from ardoise.catalogue.models import Product

    foreign = Product.objects.create(organisation=other_organisation, name="Secret", unit_price=D("1"))

    response = api.post("/quotes/", {"customer": customer.pk, "lines": [{"product": foreign.pk}]})

    problem = assert_problem(response, 422, "validation-error")
    assert "lines.0.product" in [error["field"] for error in problem["errors"]]
    assert not Quote.objects.exists()


def test_malformed_json_is_bad_request(api, client, write_secret):
    response = client.post(
        "/api/v1/quotes/", "{", content_type="application/json", headers={"Authorization": "Bearer " + write_secret}
    )

    assert_problem(response, 400, "bad-request")


def test_creation_with_key_happens_once(api, customer):
    payload = {"customer": customer.pk, "lines": [{"name": "Audit", "unit_price": "100"}]}
    headers = {"Idempotency-Key": "devis-1042"}

    first = api.post("/quotes/", payload, headers=headers)
    second = api.post("/quotes/", payload, headers=headers)
    other = api.post("/quotes/", {**payload, "notes": "Autre"}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert_problem(other, 409, "idempotency-key-reused")
    assert Quote.objects.count() == 1


def test_update_replaces_lines_and_keeps_the_rest(api, draft_quote):
    response = api.patch("/quotes/%s" % draft_quote.pk, {"lines": [{"name": "Forfait", "unit_price": "500"}]})

    assert response.status_code == 200
    body = response.json()
    assert [line["name"] for line in body["lines"]] == ["Forfait"]
    assert body["conditions"] == "Travaux réalisés sous quatre semaines."
    assert body["discount_value"] == "10.00"
    assert body["total_without_vat"] == "450.00"
    assert QuoteLine.objects.filter(quote=draft_quote).count() == 1
    entry = AuditEntry.objects.get(action="quote.draft_updated")
    assert entry.source == AuditSource.API


def test_update_without_lines_keeps_them(api, draft_quote):
    response = api.patch("/quotes/%s" % draft_quote.pk, {"notes": "Merci", "discount_value": "0"})

    assert response.status_code == 200
    body = response.json()
    assert body["notes"] == "Merci"
    assert len(body["lines"]) == 2
    assert body["total_without_vat"] == "897.81"


def test_update_cannot_change_the_kind(api, draft_quote):
    response = api.patch("/quotes/%s" % draft_quote.pk, {"kind": "proforma"})

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == "kind"
    assert "ne change pas" in problem["errors"][0]["message"]
    draft_quote.refresh_from_db()
    assert draft_quote.kind == QuoteKind.QUOTE


def test_unknown_series_is_refused(api, draft_quote):
    response = api.patch("/quotes/%s" % draft_quote.pk, {"series": 999_999})

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == "series"


def test_issued_quote_cannot_be_updated(api, issued_quote):
    response = api.patch("/quotes/%s" % issued_quote.pk, {"notes": "Trop tard"})

    problem = assert_problem(response, 409, "conflict")
    assert "D-2026-0001 est émis" in problem["detail"]
    assert "nouvelle version" in problem["detail"]
    issued_quote.refresh_from_db()
    assert issued_quote.notes == ""


# Issuing, PDF and e-mail


def test_issue_numbers_and_stores_the_pdf(api, draft_quote):
    response = api.post("/quotes/%s/issue" % draft_quote.pk)

    assert response.status_code == 200
    body = response.json()
    today = timezone.localdate()
    assert body["status"] == "issued"
    assert body["number"] == "D-%s-0001" % today.year
    assert body["issue_date"] == today.isoformat()
    assert body["validity_date"] == (today + datetime.timedelta(days=30)).isoformat()
    assert QuoteFile.objects.filter(quote=draft_quote).exists()
    assert AuditEntry.objects.get(action="quote.issued").source == AuditSource.API


def test_issue_lists_what_blocks_it(api, organisation, customer):
    empty = save_draft(Quote(organisation=organisation, customer=customer), [])

    response = api.post("/quotes/%s/issue" % empty.pk)

    problem = assert_problem(response, 409, "conflict")
    assert "ne peut pas encore être émis" in problem["detail"]
    assert [error["message"] for error in problem["errors"]] == ["Ajoutez au moins une ligne au devis."]
    empty.refresh_from_db()
    assert empty.is_draft


def test_issue_twice_is_conflict(api, issued_quote):
    problem = assert_problem(api.post("/quotes/%s/issue" % issued_quote.pk), 409, "conflict")

    assert "est émis" in problem["detail"]


def test_pdf_is_served_as_stored(api, issued_quote):
    response = api.get("/quotes/%s/pdf" % issued_quote.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="Devis-D-2026-0001.pdf"' in response["Content-Disposition"]
    assert response.content == bytes(QuoteFile.objects.get(quote=issued_quote).pdf)


def test_draft_has_no_pdf(api, draft_quote):
    problem = assert_problem(api.get("/quotes/%s/pdf" % draft_quote.pk), 409, "conflict")

    assert "pas encore de PDF" in problem["detail"]


def test_send_mails_the_pdf_and_marks_sent(api, issued_quote, smtp_settings, smtp_server):
    _controller, handler = smtp_server

    response = api.post("/quotes/%s/send" % issued_quote.pk, {"cc": "direction@boulangerie-martin.fr"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "sent"
    assert body["to"] == "compta@boulangerie-martin.fr"
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert sorted(message.rcpt_tos) == ["compta@boulangerie-martin.fr", "direction@boulangerie-martin.fr"]
    assert b"Devis-D-2026-0001.pdf" in message.content
    assert OutboundEmail.objects.get().quote_id == issued_quote.pk
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.SENT
    assert AuditEntry.objects.get(action="quote.sent").source == AuditSource.API


def test_send_rejects_bad_address(api, issued_quote):
    problem = assert_problem(
        api.post("/quotes/%s/send" % issued_quote.pk, {"to": "pas-une-adresse"}), 422, "validation-error"
    )

    assert problem["errors"][0]["field"] == "to"
    assert "pas-une-adresse" in problem["errors"][0]["message"]
    assert not OutboundEmail.objects.exists()


def test_draft_cannot_be_sent(api, draft_quote):
    problem = assert_problem(api.post("/quotes/%s/send" % draft_quote.pk, {}), 409, "conflict")

    assert "émettez d'abord" in problem["detail"]


def test_mark_sent_records_the_date(api, issued_quote):
    response = api.post("/quotes/%s/mark-sent" % issued_quote.pk)

    assert response.status_code == 200
    assert response.json()["status"] == "sent"
    assert response.json()["sent_at"] is not None


# The customer's decision


def test_accept_records_name_and_date(api, issued_quote, owner):
    with time_machine.travel(datetime.datetime(2026, 12, 15, 9, tzinfo=datetime.UTC), tick=False):
        response = api.post("/quotes/%s/accept" % issued_quote.pk, {"name": "M. Martin", "date": "2026-12-10"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    assert body["accepted_by_name"] == "M. Martin"
    assert body["accepted_at"].startswith("2026-12-10T")
    assert body["invoiced"] == []
    assert body["remaining_to_invoice"] == body["vat_breakdown"]
    entry = AuditEntry.objects.get(action="quote.accepted")
    assert entry.source == AuditSource.API
    assert entry.user == owner
    assert entry.data["evidence"]["channel"] == "paper"


def test_accept_without_body_is_today(api, issued_quote):
    body = api.post("/quotes/%s/accept" % issued_quote.pk).json()

    assert body["status"] == "accepted"
    assert body["accepted_by_name"] == ""


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"date": "2199-12-31"}, "date", "dans le futur"),
        ({"date": "2999-01-01"}, "date", "hors limites"),
        ({"date": "demain"}, "date", "AAAA-MM-JJ"),
        ({"name": "M" * 201}, "name", "200"),
    ],
)
def test_bad_acceptance_is_refused(api, issued_quote, payload, field, fragment):
    problem = assert_problem(api.post("/quotes/%s/accept" % issued_quote.pk, payload), 422, "validation-error")

    assert problem["errors"][0]["field"] == field
    assert fragment in problem["errors"][0]["message"]
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED


def test_draft_and_proforma_cannot_be_accepted(api, draft_quote, organisation, customer):
    proforma = make_quote(organisation, customer, kind=QuoteKind.PROFORMA, issued=True)

    draft_problem = assert_problem(api.post("/quotes/%s/accept" % draft_quote.pk), 409, "conflict")
    proforma_problem = assert_problem(api.post("/quotes/%s/accept" % proforma.pk), 409, "conflict")

    assert "encore un brouillon" in draft_problem["detail"]
    assert "pro forma ne s'accepte pas" in proforma_problem["detail"]


def test_refuse_records_the_reason(api, issued_quote):
    response = api.post("/quotes/%s/refuse" % issued_quote.pk, {"reason": "Trop cher"})

    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["refusal_reason"] == "Trop cher"
    assert AuditEntry.objects.get(action="quote.refused").source == AuditSource.API


def test_too_long_reason_is_refused(api, issued_quote):
    problem = assert_problem(
        api.post("/quotes/%s/refuse" % issued_quote.pk, {"reason": "x" * 301}), 422, "validation-error"
    )

    assert problem["errors"][0]["field"] == "reason"
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED


def test_accepted_quote_cannot_be_refused(api, accepted_quote):
    problem = assert_problem(api.post("/quotes/%s/refuse" % accepted_quote.pk, {}), 409, "conflict")

    assert "« Accepté »" in problem["detail"]


# Versions and copies


def test_revise_opens_next_version(api, issued_quote):
    response = api.post("/quotes/%s/revise" % issued_quote.pk)

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == "/api/v1/quotes/%s" % body["id"]
    assert (body["status"], body["version"], body["previous_version"]) == ("draft", 2, issued_quote.pk)
    assert [line["name"] for line in body["lines"]] == ["Développement web", "Livre « Lumière »"]
    assert [version["id"] for version in body["versions"]] == [issued_quote.pk, body["id"]]
    assert api.get("/quotes/%s" % issued_quote.pk).json()["next_version"] == body["id"]
    assert AuditEntry.objects.get(action="quote.revised").source == AuditSource.API


def test_second_revision_is_conflict(api, issued_quote):
    api.post("/quotes/%s/revise" % issued_quote.pk)

    problem = assert_problem(api.post("/quotes/%s/revise" % issued_quote.pk), 409, "conflict")

    assert "a déjà une version 2" in problem["detail"]
    assert Quote.objects.count() == 2


def test_draft_cannot_be_revised(api, draft_quote):
    problem = assert_problem(api.post("/quotes/%s/revise" % draft_quote.pk), 409, "conflict")

    assert "modifiez-le directement" in problem["detail"]


def test_duplicate_is_independent_draft(api, issued_quote):
    headers = {"Idempotency-Key": "copie-1"}

    first = api.post("/quotes/%s/duplicate" % issued_quote.pk, headers=headers)
    second = api.post("/quotes/%s/duplicate" % issued_quote.pk, headers=headers)

    assert first.status_code == 201
    body = first.json()
    assert (body["status"], body["version"], body["duplicated_from"]) == ("draft", 1, issued_quote.pk)
    assert body["previous_version"] is None
    assert body["total_with_vat"] == "958.50"
    assert second["Idempotent-Replayed"] == "true"
    assert Quote.objects.count() == 2


# Invoices made from a quote


def progress_percents(response):
    """Return the cumulative percentage the progress invoice of ``response`` reached on each quote line id."""
    link = QuoteInvoice.objects.get(invoice_id=response.json()["id"])
    rows = [row for row in link.progress if row["item"].startswith("line:")]
    return {int(row["item"].removeprefix("line:")): D(row["percent"]) for row in rows}


def convert(api, quote, payload, **headers):
    return api.post("/quotes/%s/invoices" % quote.pk, payload, headers=headers or None)


def test_full_invoice_drafts_whole_quote(api, accepted_quote):
    response = convert(api, accepted_quote, {"kind": "full"})

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == "/api/v1/invoices/%s" % body["id"]
    assert body["status"] == "draft"
    assert body["total_with_vat"] == str(accepted_quote.total_with_vat)
    assert QuoteInvoice.objects.get(invoice_id=body["id"]).quote_id == accepted_quote.pk
    detail = api.get("/quotes/%s" % accepted_quote.pk).json()
    assert [(item["id"], item["billing_kind"], item["status"]) for item in detail["invoices"]] == [
        (body["id"], "full", "draft")
    ]
    entry = AuditEntry.objects.get(action="quote.invoice_created")
    assert entry.source == AuditSource.API


def test_issued_full_invoice_closes_the_quote(api, accepted_quote, organisation):
    Subscription.objects.create(organisation=organisation, url="http://127.0.0.1:9/hooks", events=["invoice.issued"])

    response = convert(api, accepted_quote, {"kind": "full", "issue": True})

    body = response.json()
    assert response.status_code == 201
    assert body["status"] == "issued"
    assert body["number"].startswith("F-")
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.INVOICED
    assert Delivery.objects.filter(event_type=EventType.INVOICE_ISSUED, object_id=body["id"]).count() == 1
    detail = api.get("/quotes/%s" % accepted_quote.pk).json()
    assert detail["remaining_to_invoice"] == []
    assert detail["invoiced"] == detail["vat_breakdown"]


def test_deposit_percent_of_total_with_vat(api, accepted_quote):
    body = convert(api, accepted_quote, {"kind": "deposit", "percent": "30", "issue": True}).json()

    assert body["type_code"] == DocumentType.DEPOSIT_INVOICE
    assert body["total_with_vat"] == str((accepted_quote.total_with_vat * D("0.30")).quantize(D("0.01")))
    assert [line["name"] for line in body["lines"]] == ["Acompte de 30\u202f% sur le devis D-2026-0001"] * 3
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.PARTIALLY_INVOICED


def test_deposit_amount_including_vat_is_met(api, accepted_quote):
    body = convert(api, accepted_quote, {"kind": "deposit", "amount": "1000", "including_vat": True}).json()

    assert body["total_with_vat"] == "1000.00"


def test_deposit_amount_excluding_vat_is_met(api, accepted_quote):
    body = convert(api, accepted_quote, {"kind": "deposit", "amount": "500"}).json()

    assert body["total_without_vat"] == "500.00"


def test_deposit_over_what_remains_is_refused(api, accepted_quote):
    convert(api, accepted_quote, {"kind": "deposit", "percent": "60", "issue": True})
    left = api.get("/quotes/%s" % accepted_quote.pk).json()["remaining_to_invoice"]
    remaining_with_vat = sum(D(row["base"]) + D(row["vat"]) for row in left)

    response = convert(api, accepted_quote, {"kind": "deposit", "amount": "1000", "including_vat": True})

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["field"] == "amount"
    message = problem["errors"][0]["message"]
    assert "dépasse ce qui reste à facturer" in message
    assert ("%s" % remaining_with_vat).replace(".", ",") in message.replace("\u202f", "")
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"kind": "deposit"}, "percent", "Indiquez le pourcentage ou le montant"),
        ({"kind": "deposit", "percent": "150"}, "percent", "au plus égal à 100"),
        ({"kind": "deposit", "percent": "0"}, "percent", "supérieur à 0"),
        ({"kind": "deposit", "percent": "33.333"}, "percent", "2 chiffres après la virgule"),
        ({"kind": "deposit", "amount": "-5"}, "amount", "positif"),
        ({"kind": "deposit", "percent": "30", "amount": "100"}, "amount", "pas les deux"),
        ({"kind": "deposit", "percent": "30", "including_vat": True}, "including_vat", "avec amount"),
        ({"kind": "full", "percent": "30"}, "percent", "retirez-le"),
        ({"kind": "final", "per_line": {"1": "50"}}, "per_line", "retirez-le"),
        ({"kind": "progress", "amount": "10", "percent": "20"}, "amount", "retirez-le"),
        ({"kind": "progress"}, "percent", "pourcentage cumulé"),
        ({"kind": "progress", "percent": "120"}, "percent", "entre 0 et 100"),
        ({"kind": "progress", "per_line": {"999999": "50"}}, "per_line.999999", "pas de ligne d'id"),
        ({"kind": "progress", "per_line": {"abc": "50"}}, "per_line.abc", "pas de ligne d'id"),
        ({"kind": "advance"}, "kind", "non autorisée"),
        ({"kind": "deposit", "percent": "trente"}, "percent", "nombre décimal"),
    ],
)
def test_bad_invoice_choice_is_french_problem(api, accepted_quote, payload, field, fragment):
    response = convert(api, accepted_quote, payload)

    problem = assert_problem(response, 422, "validation-error")
    messages = [error["message"] for error in problem["errors"] if error["field"] == field]
    assert messages, problem["errors"]
    assert any(fragment in message for message in messages), messages
    assert not Invoice.objects.exists()


def test_progress_per_line_then_final_adds_up(api, accepted_quote):
    first, second, third = (line.pk for line in quote_lines(accepted_quote))

    overall = convert(api, accepted_quote, {"kind": "progress", "percent": "50", "issue": True})
    per_line = convert(api, accepted_quote, {"kind": "progress", "per_line": {str(first): "80"}, "issue": True})
    backwards = convert(api, accepted_quote, {"kind": "progress", "per_line": {str(second): "40"}})
    final = convert(api, accepted_quote, {"kind": "final", "issue": True})

    assert overall.status_code == per_line.status_code == final.status_code == 201
    assert progress_percents(per_line) == {first: D("80"), second: D("50"), third: D("50")}
    problem = assert_problem(backwards, 422, "validation-error")
    assert problem["errors"][0]["field"] == "per_line"
    assert "inférieur à celui déjà facturé" in problem["errors"][0]["message"]
    totals = [D(response.json()["total_with_vat"]) for response in (overall, per_line, final)]
    assert sum(totals) == accepted_quote.total_with_vat
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.INVOICED


def test_progress_percent_applies_to_lines_left_out(api, accepted_quote):
    first, second, third = (line.pk for line in quote_lines(accepted_quote))

    response = convert(api, accepted_quote, {"kind": "progress", "percent": "20", "per_line": {str(third): "100"}})

    assert response.status_code == 201
    assert progress_percents(response) == {first: D("20"), second: D("20"), third: D("100")}


def test_full_after_deposit_is_conflict(api, accepted_quote):
    convert(api, accepted_quote, {"kind": "deposit", "percent": "30", "issue": True})

    problem = assert_problem(convert(api, accepted_quote, {"kind": "full"}), 409, "conflict")

    assert "déjà facturée" in problem["detail"]
    assert Invoice.objects.count() == 1


def test_quote_not_accepted_cannot_be_invoiced(api, issued_quote):
    problem = assert_problem(convert(api, issued_quote, {"kind": "full"}), 409, "conflict")

    assert "seul un devis accepté peut être facturé" in problem["detail"]
    assert not Invoice.objects.exists()


def test_invoiced_quote_cannot_be_invoiced_again(api, accepted_quote):
    convert(api, accepted_quote, {"kind": "full", "issue": True})

    problem = assert_problem(convert(api, accepted_quote, {"kind": "final"}), 409, "conflict")

    assert "déjà entièrement facturé" in problem["detail"]


def test_invoice_creation_with_key_happens_once(api, accepted_quote):
    first = convert(api, accepted_quote, {"kind": "deposit", "percent": "30"}, **{"Idempotency-Key": "acompte-7"})
    second = convert(api, accepted_quote, {"kind": "deposit", "percent": "30"}, **{"Idempotency-Key": "acompte-7"})

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert QuoteInvoice.objects.count() == 1


def test_failed_issue_leaves_no_draft(api, accepted_quote, organisation):
    organisation.siren = ""
    organisation.save()

    response = convert(api, accepted_quote, {"kind": "full", "issue": True})

    problem = assert_problem(response, 409, "conflict")
    assert problem["errors"]
    assert not Invoice.objects.exists()
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.ACCEPTED


# Roles


def test_read_only_token_reads_but_cannot_write(read_api, issued_quote, customer):
    before = AuditEntry.objects.count()
    path = "/quotes/%s" % issued_quote.pk

    writes = [
        read_api.post("/quotes/", {"customer": customer.pk}),
        read_api.patch(path, {"notes": "x"}),
        read_api.post(path + "/issue"),
        read_api.post(path + "/send", {}),
        read_api.post(path + "/mark-sent"),
        read_api.post(path + "/accept", {}),
        read_api.post(path + "/refuse", {}),
        read_api.post(path + "/revise"),
        read_api.post(path + "/duplicate"),
        read_api.post(path + "/invoices", {"kind": "full"}),
    ]
    reads = [read_api.get("/quotes/"), read_api.get(path), read_api.get(path + "/pdf")]

    for response in writes:
        problem = assert_problem(response, 403, "forbidden")
        assert "lecture seule" in problem["detail"]
    assert [response.status_code for response in reads] == [200, 200, 200]
    assert Quote.objects.count() == 1
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED
    assert AuditEntry.objects.count() == before


def test_other_organisation_gets_404_and_no_data(other_api, issued_quote, organisation, customer):
    draft_quote = make_quote(organisation, customer)
    path = "/quotes/%s" % issued_quote.pk

    responses = [
        other_api.get(path),
        other_api.get(path + "/pdf"),
        other_api.patch("/quotes/%s" % draft_quote.pk, {"notes": "Volé"}),
        other_api.post("/quotes/%s/issue" % draft_quote.pk),
        other_api.post(path + "/send", {"to": "eve@concurrent.fr"}),
        other_api.post(path + "/mark-sent"),
        other_api.post(path + "/accept", {"name": "Eve"}),
        other_api.post(path + "/refuse", {}),
        other_api.post(path + "/revise"),
        other_api.post(path + "/duplicate"),
        other_api.post(path + "/invoices", {"kind": "full"}),
    ]

    for response in responses:
        problem = assert_problem(response, 404, "not-found")
        assert "Boulangerie" not in str(problem)
        assert "D-2026" not in str(problem)
    assert other_api.get("/quotes/").json()["count"] == 0
    assert Quote.objects.count() == 2
    draft_quote.refresh_from_db()
    assert draft_quote.notes == ""
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED
    assert not OutboundEmail.objects.exists()


def test_other_organisation_customer_cannot_be_quoted(other_api, customer):
    problem = assert_problem(
        other_api.post("/quotes/", {"customer": customer.pk, "lines": [{"name": "x", "unit_price": 1}]}),
        422,
        "validation-error",
    )

    assert problem["errors"][0]["field"] == "customer"
    assert not Quote.objects.exists()
