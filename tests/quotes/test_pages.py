"""The quote screens: editor, detail actions, PDF download, e-mail and settings."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.quotes.models import Quote, QuoteKind, QuoteSettings, QuoteStatus

pytestmark = pytest.mark.django_db


def line_fields(**values):
    fields = {
        "id": "",
        "product": "",
        "name": "",
        "description": "",
        "quantity": "1",
        "unit": "C62",
        "unit_price": "",
        "vat_rate": "20.00",
        "exemption": "",
        "discount_percent": "0",
        "kind": "service",
    }
    fields.update(values)
    return fields


def editor_data(customer, lines, **header):
    data = {
        "customer": customer.pk,
        "kind": "quote",
        "validity_date": "",
        "conditions": "Délai : quatre semaines.",
        "notes": "",
        "discount_kind": "percent",
        "discount_value": "0",
        "discount_reason": "",
        "deposit_percent": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(header)
    for index, line in enumerate(lines):
        for name, value in line.items():
            data["lines-%d-%s" % (index, name)] = value
    return data


def test_create_draft_from_editor(owner_client, customer):
    lines = [line_fields(name="Conseil", quantity="2,5", unit="HUR", unit_price="65,50")]

    response = owner_client.post(reverse("quotes:create"), editor_data(customer, lines, discount_value="10"))

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == quote.get_absolute_url()
    assert quote.total_without_vat == Decimal("147.37")
    assert quote.total_with_vat == Decimal("176.84")
    assert quote.lines.get().name == "Conseil"
    assert AuditEntry.objects.filter(action="quote.draft_created").count() == 1


def test_editor_rejects_bad_price(owner_client, customer):
    lines = [line_fields(name="Conseil", unit_price="12,x")]

    response = owner_client.post(reverse("quotes:create"), editor_data(customer, lines))

    assert response.status_code == 200
    assert "Le brouillon n'a pas été enregistré" in response.text
    assert not Quote.objects.exists()


def test_new_proforma_page(owner_client, organisation):
    QuoteSettings.objects.create(organisation=organisation, default_conditions="Paiement à la commande.")

    response = owner_client.get(reverse("quotes:create"), {"type": "proforma"})

    assert response.status_code == 200
    assert "Nouvelle facture pro forma" in response.text
    assert "Paiement à la commande." in response.text


def test_list_filters_by_status(owner_client, issued_quote, organisation, customer):
    Quote.objects.create(organisation=organisation, customer=customer)

    response = owner_client.get(reverse("quotes:list"), {"statut": "issued"})

    assert response.status_code == 200
    assert issued_quote.number in response.text
    assert "Brouillon n°" not in response.text


def test_nav_has_quotes_entry(owner_client):
    response = owner_client.get(reverse("quotes:list"))

    assert 'href="/devis/" aria-current="page">Devis</a>' in response.text


def test_issue_from_detail(owner_client, draft_quote):
    response = owner_client.post(reverse("quotes:issue", args=[draft_quote.pk]))

    draft_quote.refresh_from_db()
    assert response.status_code == 302
    assert draft_quote.status == QuoteStatus.ISSUED
    assert draft_quote.number.startswith("D-")


def test_issue_problems_shown(owner_client, organisation, customer):
    quote = Quote.objects.create(organisation=organisation, customer=customer)

    response = owner_client.post(reverse("quotes:issue", args=[quote.pk]), follow=True)

    assert "Le devis ne peut pas encore être émis." in response.text
    assert "Ajoutez au moins une ligne au devis." in response.text


def test_edit_issued_redirects(owner_client, issued_quote):
    response = owner_client.get(reverse("quotes:edit", args=[issued_quote.pk]), follow=True)

    assert "créez-en une nouvelle version" in response.text


def test_accept_with_paper_signature(owner_client, issued_quote, owner):
    url = reverse("quotes:accept", args=[issued_quote.pk])

    owner_client.post(url, {"name": "Jeanne Martin", "date": "2026-12-05"})

    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ACCEPTED
    assert issued_quote.accepted_by_name == "Jeanne Martin"
    assert issued_quote.accepted_at.date() == datetime.date(2026, 12, 5)
    assert AuditEntry.objects.get(action="quote.accepted").user == owner


def test_accept_future_date_rejected(owner_client, issued_quote):
    url = reverse("quotes:accept", args=[issued_quote.pk])

    response = owner_client.post(url, {"name": "Jeanne", "date": "2099-01-01"}, follow=True)

    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED
    assert "ne peut pas être dans le futur" in response.text


def test_refuse_then_detail(owner_client, issued_quote):
    owner_client.post(reverse("quotes:refuse", args=[issued_quote.pk]), {"reason": "Budget"})

    response = owner_client.get(issued_quote.get_absolute_url())

    assert "Refusé" in response.text
    assert "Budget" in response.text
    assert "Marquer comme accepté" not in response.text


def test_revise_shows_link_both_ways(owner_client, issued_quote):
    response = owner_client.post(reverse("quotes:revise", args=[issued_quote.pk]))
    revision = Quote.objects.get(previous_version=issued_quote)

    assert response["Location"] == revision.get_absolute_url()
    assert issued_quote.number in owner_client.get(revision.get_absolute_url()).text
    assert revision.get_absolute_url() in owner_client.get(issued_quote.get_absolute_url()).text


def test_duplicate_opens_copy(owner_client, issued_quote):
    owner_client.post(reverse("quotes:duplicate", args=[issued_quote.pk]))

    copy = Quote.objects.get(duplicated_from=issued_quote)
    assert copy.is_draft
    assert copy.lines.count() == 2


def test_pdf_download(owner_client, issued_quote):
    response = owner_client.get(reverse("quotes:pdf", args=[issued_quote.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="Devis-D-2026-0001.pdf"' in response["Content-Disposition"]
    assert response.content == issued_quote.issued_pdf()


def test_send_email_marks_sent(owner_client, issued_quote, smtp_settings):
    detail = owner_client.get(issued_quote.get_absolute_url())
    assert "Devis D-2026-0001 – Atelier Dupont SARL" in detail.text

    response = owner_client.post(
        reverse("quotes:email", args=[issued_quote.pk]),
        {
            "to": "compta@boulangerie-martin.fr",
            "cc": "",
            "bcc": "",
            "subject": "Devis D-2026-0001",
            "body": "Bonjour <script>alert(1)</script>",
        },
    )

    issued_quote.refresh_from_db()
    assert response.status_code == 302
    assert issued_quote.status == QuoteStatus.SENT
    assert issued_quote.emails.get().status == "sent"
    message = smtp_settings.messages[0].content
    assert b"Devis-D-2026-0001.pdf" in message
    assert b"<script>alert(1)</script>" in message
    assert b"Content-Type: text/plain" in message


def test_send_without_smtp_says_nothing_left(owner_client, issued_quote, eml_settings):
    data = {"to": "compta@boulangerie-martin.fr", "cc": "", "bcc": "", "subject": "Devis", "body": "Bonjour"}

    response = owner_client.post(reverse("quotes:email", args=[issued_quote.pk]), data, follow=True)

    assert issued_quote.emails.get().status == "written"
    assert "est pas parti" in response.text
    assert "Devis envoyé à" not in response.text


def test_send_email_invalid_address(owner_client, issued_quote):
    data = {"to": "pas-une-adresse", "cc": "", "bcc": "", "subject": "Devis", "body": "Bonjour"}

    response = owner_client.post(reverse("quotes:email", args=[issued_quote.pk]), data)

    assert response.status_code == 400
    assert "pas-une-adresse" in response.text
    assert not issued_quote.emails.exists()


def test_settings_change_validity(owner_client, organisation):
    response = owner_client.post(reverse("quotes:settings"), {"validity_days": "60", "default_conditions": ""})

    assert response.status_code == 302
    assert QuoteSettings.objects.get(organisation=organisation).validity_days == 60


def test_settings_reject_zero_days(owner_client, organisation):
    response = owner_client.post(reverse("quotes:settings"), {"validity_days": "0", "default_conditions": ""})

    assert response.status_code == 200
    assert "supérieure ou égale à 1" in response.text


def test_user_text_escaped_on_page(owner_client, draft_quote):
    Quote.objects.filter(pk=draft_quote.pk).update(notes="<script>alert('x')</script>")

    response = owner_client.get(draft_quote.get_absolute_url())

    assert "<script>alert('x')</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_proforma_detail_has_no_accept(owner_client, organisation, customer):
    quote = Quote.objects.create(organisation=organisation, customer=customer, kind=QuoteKind.PROFORMA)

    response = owner_client.get(quote.get_absolute_url())

    assert "Émettre la facture pro forma" in response.text
    assert "Marquer comme accepté" not in response.text


def test_editor_live_totals(owner_client, customer):
    lines = [line_fields(name="Conseil", quantity="2", unit_price="100")]

    response = owner_client.post(reverse("invoicing:totals"), editor_data(customer, lines, discount_value="10"))

    assert response.status_code == 200
    assert "216,00" in response.text


def test_audit_log_reads_quote_actions(owner_client, issued_quote):
    from ardoise.quotes.services import accept

    accept(issued_quote, name="Jeanne Martin")

    response = owner_client.get(reverse("audit:journal"))

    assert response.status_code == 200
    assert "Devis émis" in response.text
    assert "Devis accepté" in response.text
