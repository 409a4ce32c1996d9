"""The « Facturer » page of a quote, and the links shown on the quote and invoice pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.invoicing.models import DocumentType, Invoice
from ardoise.quotes import billing
from ardoise.quotes.billing import BillingChoice
from ardoise.quotes.billing_models import BillingKind, QuoteInvoice

from .conftest import DAY

pytestmark = pytest.mark.django_db


def url(quote):
    return reverse("quotes:invoice", args=[quote.pk])


def test_page_shows_the_choices(owner_client, accepted_quote):
    response = owner_client.get(url(accepted_quote))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Facturer le devis D-2026-0001" in content
    assert "Facture de situation" in content
    assert "Pose de carrelage" in content


def test_preview_shows_amounts_per_rate(owner_client, accepted_quote):
    response = owner_client.post(
        url(accepted_quote), {"kind": "deposit", "deposit_mode": "percent", "deposit_value": "30", "preview": "1"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Aperçu : Facture d&#x27;acompte de 30\u202f%" in content
    assert "TVA 5,5\u202f%" in content
    assert not Invoice.objects.exists()


def test_create_opens_the_draft(owner_client, accepted_quote):
    response = owner_client.post(
        url(accepted_quote),
        {"kind": "deposit", "deposit_mode": "including", "deposit_value": "1 000,00", "create": "1"},
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response.url == invoice.get_absolute_url()
    assert invoice.is_draft
    assert invoice.type_code == DocumentType.DEPOSIT_INVOICE
    assert invoice.total_with_vat == Decimal("1000.00")
    assert QuoteInvoice.objects.get(invoice=invoice).quote == accepted_quote


def test_progress_per_line_from_the_page(owner_client, accepted_quote):
    first = accepted_quote.lines.first()
    data = {"kind": "progress", "progress_mode": "per_line", "line_%s" % first.pk: "50", "create": "1"}
    owner_client.post(url(accepted_quote), data)
    link = QuoteInvoice.objects.get()
    assert link.per_line is True
    assert [row["percent"] for row in link.progress[:3]] == ["50", "0", "0"]


def test_missing_deposit_value_is_a_french_error(owner_client, accepted_quote):
    response = owner_client.post(url(accepted_quote), {"kind": "deposit", "deposit_mode": "percent", "create": "1"})
    assert response.status_code == 200
    assert "Indiquez le pourcentage ou le montant de l&#x27;acompte." in response.content.decode()
    assert not Invoice.objects.exists()


def test_deposit_above_the_quote_is_refused(owner_client, accepted_quote):
    response = owner_client.post(
        url(accepted_quote), {"kind": "deposit", "deposit_mode": "excluding", "deposit_value": "999999", "create": "1"}
    )
    assert "dépasse ce qui reste à facturer" in response.content.decode()
    assert not Invoice.objects.exists()


def test_quote_not_accepted_says_why(owner_client, accepted_quote):
    accepted_quote.status = "refused"
    accepted_quote.save(update_fields=["status"])
    response = owner_client.get(url(accepted_quote))
    assert "seul un devis accepté peut être facturé" in response.content.decode()


def test_outsider_gets_404(outsider_client, accepted_quote):
    assert outsider_client.get(url(accepted_quote)).status_code == 404
    assert outsider_client.post(url(accepted_quote), {"kind": "full", "create": "1"}).status_code == 404


def test_invoice_page_shows_its_quote_and_siblings(owner_client, accepted_quote, owner):
    deposit = billing.issue_from_quote(
        accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=Decimal("30")), today=DAY
    )
    final = billing.issue_from_quote(accepted_quote, BillingChoice(BillingKind.FINAL), today=DAY)
    content = owner_client.get(final.get_absolute_url()).content.decode()
    assert 'Devis <a href="%s">D-2026-0001</a>' % accepted_quote.get_absolute_url() in content
    assert deposit.number in content


def test_quote_page_lists_its_invoices(owner_client, accepted_quote):
    invoice = billing.issue_from_quote(
        accepted_quote, BillingChoice(BillingKind.DEPOSIT, percent=Decimal("30")), today=DAY
    )
    content = owner_client.get(accepted_quote.get_absolute_url()).content.decode()
    assert 'Facture d&#x27;acompte <a href="%s">%s</a>' % (invoice.get_absolute_url(), invoice.number) in content
    assert url(accepted_quote) in content
