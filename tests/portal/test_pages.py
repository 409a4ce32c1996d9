"""The public portal pages: what a customer sees, downloads, and every failure answered by the same 404."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, normalise_line_vat, refresh_totals
from ardoise.payments.services import record_payment
from ardoise.portal import links, tokens
from ardoise.portal.models import PortalLink
from tests.conftest import make_organisation

pytestmark = pytest.mark.django_db


def page_path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def issue_one_line(organisation, customer, name, description="", notes=""):
    """Issue an invoice of one line of 10 € at 20 % with the given texts."""
    draft = Invoice.objects.create(organisation=organisation, customer=customer, notes=notes)
    line = InvoiceLine(
        invoice=draft, name=name, description=description, quantity=Decimal("1"), unit_price=Decimal("10")
    )
    normalise_line_vat(line, organisation)
    line.save()
    refresh_totals(draft)
    return issue_invoice(draft, today=datetime.date(2026, 12, 4))


@pytest.fixture
def portal_path(issued_invoice):
    return page_path(links.portal_url(issued_invoice))


def test_customer_sees_invoice_without_account(client, portal_path, issued_invoice):
    response = client.get(portal_path)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Facture F-2026-0001" in text
    assert "Atelier Dupont SARL" in text
    assert "Développement web" in text
    assert "1\u202f065,00\u00a0€" in text  # the total including VAT and the amount left to pay
    assert "FR76 3000 6000 0112 3456 7890 189" in text
    assert "AGRIFRPP" in text
    assert "À payer" in text
    assert 'src="data:image/svg+xml' in text  # the SEPA QR code


def test_page_lists_vat_per_rate(client, portal_path):
    text = client.get(portal_path).content.decode()

    assert "TVA 20" in text
    assert "TVA 5,5" in text


def test_view_is_counted(client, portal_path):
    client.get(portal_path)
    client.get(portal_path)

    link = PortalLink.objects.get()
    assert link.view_count == 2
    assert link.last_used_at is not None


def test_paid_invoice_shows_no_payment_details(client, portal_path, issued_invoice):
    record_payment(issued_invoice, amount=issued_invoice.amount_due, date=datetime.date(2026, 12, 4), method="virement")

    text = client.get(portal_path).content.decode()

    assert "Payée" in text
    assert "Cette facture est réglée" in text
    assert "Comment régler" not in text


@pytest.mark.usefixtures("december_2026")
def test_partly_paid_invoice_asks_for_the_balance(client, portal_path, issued_invoice):
    record_payment(issued_invoice, amount=Decimal("65.00"), date=datetime.date(2026, 12, 4), method="virement")

    text = client.get(portal_path).content.decode()

    assert "Partiellement payée" in text
    assert "1\u202f000,00\u00a0€" in text


def test_pdf_download_is_the_issued_file(client, portal_path, issued_invoice):
    response = client.get(portal_path + "pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(issued_invoice.files.pdf)
    assert 'filename="Facture-F-2026-0001.pdf"' in response["Content-Disposition"]


def test_facturx_download_is_the_issued_xml(client, portal_path, issued_invoice):
    response = client.get(portal_path + "facturx")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response.content == bytes(issued_invoice.files.xml)


def test_pages_are_private_and_strict(client, portal_path):
    response = client.get(portal_path)

    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert b"<script" not in response.content
    assert b"style=" not in response.content


def test_post_is_not_allowed(client, portal_path):
    assert client.post(portal_path).status_code == 405


def test_every_failure_gets_the_same_404(client, issued_invoice, settings):
    settings.PORTAL_FAILURE_LIMIT = 100
    good = links.create_link(issued_invoice)
    good_token = token_of(links.link_url(good))
    secret, signature = good_token.split(".")
    expired = links.create_link(issued_invoice)
    PortalLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    revoked = links.create_link(issued_invoice)
    links.revoke_link(revoked)
    failing_tokens = {
        "altered signature": "%s.%s" % (secret, signature[::-1]),
        "altered payload": "%s.%s" % (secret[::-1], signature),
        "unsigned secret": secret,
        "invoice id": str(issued_invoice.pk),
        "unknown secret": tokens.signed_token(tokens.new_nonce()),
        "expired": token_of(links.link_url(expired)),
        "revoked": token_of(links.link_url(revoked)),
    }

    bodies = {}
    for cause, token in failing_tokens.items():
        for name in ("document", "pdf", "facturx"):
            response = client.get(reverse("portal:%s" % name, kwargs={"token": token}))
            assert response.status_code == 404, (cause, name)
            bodies[(cause, name)] = response.content

    assert len(set(bodies.values())) == 1
    body = next(iter(bodies.values())).decode()
    assert "Document introuvable" in body
    for secret_value in ("F-2026-0001", "Atelier Dupont", "Boulangerie Martin", "FR76", "%PDF"):
        assert secret_value not in body


def test_link_opens_only_its_own_organisation_document(client, issued_invoice):
    other = make_organisation("Concurrent SAS", siren="552100554", siret="55210055400013", vat_number="FR96552100554")
    other_customer = Customer.objects.create(
        organisation=other,
        name="Client secret",
        email="x@secret.fr",
        address_line1="1 rue X",
        postcode="75001",
        city="Paris",
    )
    other_invoice = issue_one_line(other, other_customer, "Prestation secrète")
    mine = page_path(links.portal_url(issued_invoice))

    text = client.get(mine).content.decode()

    assert other_invoice.number == issued_invoice.number  # both organisations number from F-2026-0001
    assert "Prestation secrète" not in text
    assert "Concurrent SAS" not in text
    assert "Client secret" not in text


def test_failures_are_rate_limited_per_address(client, portal_path, settings):
    settings.PORTAL_FAILURE_LIMIT = 3
    bad = reverse("portal:document", kwargs={"token": "inconnu"})

    statuses = [client.get(bad).status_code for _ in range(3)]
    blocked = client.get(portal_path)
    from_elsewhere = client.get(portal_path, REMOTE_ADDR="192.0.2.10")

    assert statuses == [404, 404, 404]
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Trop de tentatives" in blocked.content.decode()
    assert "F-2026-0001" not in blocked.content.decode()
    assert from_elsewhere.status_code == 200


def test_user_text_is_shown_as_text(client, organisation, customer):
    customer.name = '<img src=x onerror="alert(1)">Client'
    customer.save()
    invoice = issue_one_line(
        organisation,
        customer,
        "<script>alert('nom')</script>",
        description="<iframe src=https://exemple.fr></iframe>",
        notes="<script>alert('notes')</script>\n<b>gras</b>",
    )

    text = client.get(page_path(links.portal_url(invoice))).content.decode()

    assert "<script" not in text
    assert "<iframe" not in text
    assert "<b>gras</b>" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;nom&#x27;)&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(&#x27;notes&#x27;)&lt;/script&gt;" in text
    assert "&lt;iframe src=https://exemple.fr&gt;&lt;/iframe&gt;" in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Client" in text


def test_credit_note_page(client, issued_invoice):
    from ardoise.invoicing.credit_notes import create_credit_note

    credit_note = issue_invoice(create_credit_note(issued_invoice), today=datetime.date(2026, 12, 5))

    text = client.get(page_path(links.portal_url(credit_note))).content.decode()

    assert "Avoir F-2026-0002" in text or "Avoir %s" % credit_note.number in text
    assert "Facture corrigée" in text
    assert "Comment régler" not in text


def test_logs_hide_portal_tokens(client, portal_path, caplog):
    import logging

    from ardoise.portal.logfilters import RedactPortalTokens

    token = token_of("https://x" + portal_path)
    links.revoke_all(PortalLink.objects.get().invoice)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(portal_path)
    record = next(record for record in caplog.records if record.name == "django.request")

    RedactPortalTokens().filter(record)

    assert token not in record.getMessage()
    assert "/portail/[jeton masqué]/" in record.getMessage()
