"""Every invoicing, payment, e-mail and dashboard URL: scoped to the organisation, closed to anonymous users."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.invoicing.services import issue_invoice
from ardoise.mailing.models import OutboundEmail
from ardoise.mailing.services import send_invoice_email
from ardoise.payments.models import Payment

DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def issued_invoice(organisation, customer, product):
    from ardoise.invoicing.models import InvoiceLine
    from ardoise.invoicing.services import normalise_line_vat, refresh_totals

    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    line = InvoiceLine(invoice=invoice, name=product.name, quantity=Decimal("2"), unit_price=Decimal("50"))
    normalise_line_vat(line, organisation)
    line.save()
    refresh_totals(invoice)
    return issue_invoice(invoice, today=DAY)


@pytest.fixture
def sent_email(issued_invoice):
    return send_invoice_email(issued_invoice, ["compta@boulangerie-martin.fr"], "Facture", "Bonjour")


def object_urls(draft, issued, email):
    """Return (method, url) for every URL that names one of the organisation's objects."""
    return [
        ("get", reverse("invoicing:detail", args=[draft.pk])),
        ("get", reverse("invoicing:detail", args=[issued.pk])),
        ("get", reverse("invoicing:edit", args=[draft.pk])),
        ("post", reverse("invoicing:edit", args=[draft.pk])),
        ("get", reverse("invoicing:delete", args=[draft.pk])),
        ("post", reverse("invoicing:delete", args=[draft.pk])),
        ("post", reverse("invoicing:issue", args=[draft.pk])),
        ("get", reverse("invoicing:preview", args=[draft.pk])),
        ("get", reverse("invoicing:pdf", args=[issued.pk])),
        ("get", reverse("invoicing:xml", args=[issued.pk])),
        ("get", reverse("invoicing:ubl", args=[issued.pk])),
        ("post", reverse("payments:record", args=[issued.pk])),
        ("post", reverse("mailing:send", args=[issued.pk])),
        ("get", reverse("mailing:detail", args=[email.pk])),
    ]


COLLECTION_URLS = [
    ("get", "dashboard:home"),
    ("get", "invoicing:list"),
    ("get", "invoicing:create"),
    ("post", "invoicing:totals"),
    ("get", "invoicing:line_add"),
    ("get", "invoicing:line_fill"),
    ("get", "mailing:outbox"),
]


@pytest.mark.django_db
def test_outsider_gets_404_on_every_object_url(outsider_client, draft_invoice, issued_invoice, sent_email):
    payment_data = {"amount": "10,00", "date": "2026-12-04", "method": "virement", "reference": ""}
    email_data = {"to": "eve@concurrent.fr", "cc": "", "subject": "Vol", "body": "Vol"}

    for method, url in object_urls(draft_invoice, issued_invoice, sent_email):
        data = {}
        if "paiements" in url:
            data = payment_data
        elif "envoyer" in url:
            data = email_data
        response = getattr(outsider_client, method)(url, data)
        assert response.status_code == 404, "%s %s answered %s" % (method.upper(), url, response.status_code)

    assert Invoice.objects.filter(pk=draft_invoice.pk, status=InvoiceStatus.DRAFT).exists()
    assert Payment.objects.count() == 0
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_outsider_lists_show_nothing_of_other_organisation(outsider_client, draft_invoice, issued_invoice, sent_email):
    pages = [outsider_client.get(reverse(name)).text for name in ("invoicing:list", "mailing:outbox", "dashboard:home")]

    for text in pages:
        assert issued_invoice.number not in text
        assert "Boulangerie Martin" not in text


@pytest.mark.django_db
def test_anonymous_redirected_to_login(client, draft_invoice, issued_invoice, sent_email):
    urls = object_urls(draft_invoice, issued_invoice, sent_email)
    urls += [(method, reverse(name)) for method, name in COLLECTION_URLS]
    login = reverse("accounts:login")

    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, "%s %s answered %s" % (method.upper(), url, response.status_code)
        assert response["Location"].startswith(login), url


@pytest.mark.django_db
def test_member_can_use_every_collection_url(client, member):
    client.force_login(member)

    for method, name in COLLECTION_URLS:
        response = getattr(client, method)(reverse(name))
        assert response.status_code in (200, 400), name
