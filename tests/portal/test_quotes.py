"""A customer accepts or refuses a quote on the portal: the page, the decision and its evidence, and what follows."""

from __future__ import annotations

import datetime
import email
import email.policy
import hashlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.mailing.models import OutboundEmail
from ardoise.portal import links
from ardoise.portal.models import Decision, PortalLink, QuoteDecision
from ardoise.quotes.billing_models import QuoteInvoice
from ardoise.quotes.models import QuoteStatus
from ardoise.quotes.services import expire
from ardoise.webhooks.models import Delivery, EventType, Subscription
from tests.quotes.conftest import ISSUE_DAY

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chromium/130.0"


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def quote_path(issued_quote):
    return path_of(links.portal_url(issued_quote))


def accept(client, quote_path, issued_quote, commits=None, **changes):
    """Post the acceptance form; with ``commits`` (the on-commit capture fixture), run what follows the commit."""
    data = {
        "decision": "accept",
        "name": "Jeanne Martin",
        "consent": "on",
        "comment": "Merci, démarrage en janvier.",
        "pdf_sha256": hashlib.sha256(issued_quote.issued_pdf()).hexdigest(),
        **changes,
    }
    if commits is None:
        return client.post(quote_path + "reponse", data, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    with commits(execute=True):
        return client.post(quote_path + "reponse", data, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")


def test_page_shows_the_quote_and_the_form(client, quote_path, issued_quote):
    response = client.get(quote_path)

    text = response.content.decode()
    assert response.status_code == 200
    assert "Devis D-2026-0001" in text
    assert "Valable jusqu&#x27;au" in text or "Valable jusqu'au" in text
    assert "03/01/2027" in text
    assert "Développement web" in text
    assert "J&#x27;accepte le devis D-2026-0001 d&#x27;un montant de" in text
    assert "Accepter le devis" in text
    assert "Refuser le devis" in text
    assert hashlib.sha256(issued_quote.issued_pdf()).hexdigest() in text


def test_pdf_is_the_stored_quote_pdf(client, quote_path, issued_quote):
    response = client.get(quote_path + "pdf")

    assert response.status_code == 200
    assert response.content == issued_quote.issued_pdf()
    assert 'filename="Devis-D-2026-0001.pdf"' in response["Content-Disposition"]


def test_quote_has_no_facturx(client, quote_path):
    response = client.get(quote_path + "facturx")

    assert response.status_code == 404
    assert "Document introuvable" in response.content.decode()


def test_acceptance_stores_evidence(client, quote_path, issued_quote):
    response = accept(client, quote_path, issued_quote)

    assert response.status_code == 302
    assert response["Location"] == quote_path + "#decision"
    decision = QuoteDecision.objects.get()
    assert decision.decision == Decision.ACCEPTED
    assert decision.name == "Jeanne Martin"
    assert decision.comment == "Merci, démarrage en janvier."
    assert decision.ip_address == "203.0.113.7"
    assert decision.user_agent == BROWSER
    assert decision.pdf_sha256 == hashlib.sha256(issued_quote.issued_pdf()).hexdigest()
    assert decision.pdf_sha256 == issued_quote.pdf_sha256
    assert decision.link == PortalLink.objects.get()
    assert timezone.now() - decision.decided_at < datetime.timedelta(minutes=1)
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ACCEPTED
    assert issued_quote.accepted_by_name == "Jeanne Martin"
    assert issued_quote.acceptance_evidence["channel"] == "portal"
    assert issued_quote.acceptance_evidence["ip"] == "203.0.113.7"


def test_acceptance_is_audited(client, quote_path, issued_quote):
    accept(client, quote_path, issued_quote)

    entry = AuditEntry.objects.get(action="quote.accepted")
    assert entry.user is None
    assert entry.ip_address == "203.0.113.7"
    assert entry.data["evidence"]["pdf_sha256"] == issued_quote.pdf_sha256
    assert entry.data["evidence"]["user_agent"] == BROWSER


def test_page_after_acceptance_shows_no_form(client, quote_path, issued_quote):
    accept(client, quote_path, issued_quote)

    text = client.get(quote_path).content.decode()

    assert "Devis accepté en ligne le" in text
    assert "par Jeanne Martin" in text
    assert "Accepter le devis" not in text


def test_decision_is_immutable(client, quote_path, issued_quote):
    from ardoise.integrity.exceptions import AppendOnlyError

    accept(client, quote_path, issued_quote)
    decision = QuoteDecision.objects.get()

    decision.name = "Quelqu'un d'autre"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()


def test_double_submit_records_one_decision(
    client, quote_path, issued_quote, smtp_settings, django_capture_on_commit_callbacks
):
    first = accept(client, quote_path, issued_quote, django_capture_on_commit_callbacks)
    second = accept(client, quote_path, issued_quote, django_capture_on_commit_callbacks, name="Jeanne Martin bis")

    assert first.status_code == second.status_code == 302
    assert QuoteDecision.objects.get().name == "Jeanne Martin"
    assert AuditEntry.objects.filter(action="quote.accepted").count() == 1
    assert len(smtp_settings.messages) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent": ""}, "Cochez la case « J&#x27;accepte le devis » pour confirmer votre accord."),
        ({"name": "  "}, "Indiquez vos nom et prénom pour accepter le devis."),
    ],
)
def test_acceptance_needs_name_and_consent(client, quote_path, issued_quote, changes, message):
    response = accept(client, quote_path, issued_quote, **changes)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert QuoteDecision.objects.count() == 0
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED


def test_other_pdf_digest_is_rejected(client, quote_path, issued_quote):
    response = accept(client, quote_path, issued_quote, pdf_sha256="0" * 64)

    assert response.status_code == 409
    assert "Le devis a changé depuis l&#x27;ouverture de la page" in response.content.decode()
    assert QuoteDecision.objects.count() == 0


def test_refusal_with_reason(client, quote_path, issued_quote):
    response = client.post(
        quote_path + "reponse",
        {"decision": "refuse", "name": "", "comment": "Trop cher.", "pdf_sha256": issued_quote.pdf_sha256},
    )

    assert response.status_code == 302
    decision = QuoteDecision.objects.get()
    assert decision.decision == Decision.REFUSED
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.REFUSED
    assert issued_quote.refusal_reason == "Trop cher."
    assert "Devis refusé en ligne le" in client.get(quote_path).content.decode()


def test_expired_quote_shows_its_state(client, quote_path, issued_quote):
    expire(issued_quote, today=datetime.date(2027, 1, 10))

    page = client.get(quote_path).content.decode()
    response = accept(client, quote_path, issued_quote)

    assert "Ce devis est « Expiré » : il ne peut plus être accepté ou refusé en ligne." in page
    assert "Accepter le devis" not in page
    assert response.status_code == 409
    assert QuoteDecision.objects.count() == 0


def test_quote_accepted_by_the_business_shows_no_form(client, quote_path, issued_quote, owner):
    from ardoise.quotes.services import accept as accept_on_paper

    accept_on_paper(issued_quote, owner, name="Signé sur papier")

    page = client.get(quote_path).content.decode()

    assert "Ce devis est « Accepté »" in page
    assert "Accepter le devis" not in page


def test_decision_on_an_invoice_link_is_not_found(client, issued_invoice):
    path = path_of(links.portal_url(issued_invoice))

    response = client.post(path + "reponse", {"decision": "accept", "name": "X", "consent": "on"})

    assert response.status_code == 404


def test_decision_with_a_revoked_link_is_not_found(client, quote_path, issued_quote):
    links.revoke_all(issued_quote)

    response = accept(client, quote_path, issued_quote)

    assert response.status_code == 404
    assert QuoteDecision.objects.count() == 0


def test_user_text_is_escaped_on_the_quote_page(organisation, customer, client):
    from ardoise.quotes.models import Quote, QuoteLine
    from ardoise.quotes.services import issue, save_draft

    quote = save_draft(
        Quote(organisation=organisation, customer=customer, notes="<script>alert('n')</script>", conditions="<b>c</b>"),
        [
            QuoteLine(
                name="<img src=x onerror=alert(1)>", description="</td><script>x</script>", unit_price=Decimal("10")
            )
        ],
    )
    quote = issue(quote, today=datetime.date(2026, 12, 4))

    text = client.get(path_of(links.portal_url(quote))).content.decode()

    assert "<script" not in text
    assert "<img src=x" not in text
    assert "<b>c</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(&#x27;n&#x27;)&lt;/script&gt;" in text


def test_link_lasts_past_the_validity_date(issued_quote, settings):
    settings.PORTAL_QUOTE_EXTRA_DAYS = 30

    link = links.create_link(issued_quote)

    assert timezone.localtime(link.expires_at) == timezone.make_aware(datetime.datetime(2027, 2, 3))


def test_business_is_notified_by_e_mail(
    client, quote_path, issued_quote, smtp_settings, django_capture_on_commit_callbacks
):
    accept(client, quote_path, issued_quote, django_capture_on_commit_callbacks)

    message = email.message_from_bytes(smtp_settings.messages[0].content, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert smtp_settings.messages[0].rcpt_tos == ["factures@atelier-dupont.fr"]
    assert message["Subject"] == "Devis D-2026-0001 accepté en ligne par Jeanne Martin"
    assert "Jeanne Martin a accepté en ligne le devis D-2026-0001 de Boulangerie Martin SAS" in body
    assert "adresse IP 203.0.113.7" in body
    assert issued_quote.pdf_sha256 in body
    assert attachments == ["Devis-D-2026-0001.pdf"]
    assert QuoteDecision.objects.get().business_notified_at is not None
    outbound = OutboundEmail.objects.get(quote=issued_quote)
    assert outbound.status == "sent"


def test_notification_is_retried_by_the_sweep(
    client, quote_path, issued_quote, settings, django_capture_on_commit_callbacks
):
    from ardoise.jobs.services import run_due
    from ardoise.portal.tasks import NOTIFY_BUSINESS_JOB

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    accept(client, quote_path, issued_quote, django_capture_on_commit_callbacks)
    assert QuoteDecision.objects.get().business_notified_at is None

    settings.MAILERS = {"default": {"BACKEND": "ardoise.mailing.backends.EmlFileBackend"}}
    from ardoise.jobs.models import JobUnit

    JobUnit.objects.filter(job=NOTIFY_BUSINESS_JOB.name).update(run_after=timezone.now())
    run_due(timezone.localdate(), [NOTIFY_BUSINESS_JOB])

    assert QuoteDecision.objects.get().business_notified_at is not None


def test_webhook_events_are_queued(client, quote_path, issued_quote, organisation):
    from ardoise.webhooks.payloads import envelope

    Subscription.objects.create(
        organisation=organisation, url="https://crm.exemple.fr/hook", events=["quote.accepted", "quote.refused"]
    )

    accept(client, quote_path, issued_quote)

    delivery = Delivery.objects.get()
    assert delivery.event_type == EventType.QUOTE_ACCEPTED
    assert delivery.event_key == "quote.accepted:%s" % issued_quote.pk
    body = envelope(delivery)
    assert body["data"]["number"] == "D-2026-0001"
    assert body["data"]["status"] == "accepted"
    assert body["data"]["decision"]["name"] == "Jeanne Martin"
    assert body["data"]["decision"]["pdf_sha256"] == issued_quote.pdf_sha256


@pytest.fixture
def deposit_quote(draft_quote):
    """``draft_quote`` asking for a 30 % deposit invoiced on online acceptance, then issued."""
    from ardoise.quotes.services import issue

    draft_quote.deposit_percent = Decimal("30")
    draft_quote.auto_deposit_on_acceptance = True
    draft_quote.save(update_fields=["deposit_percent", "auto_deposit_on_acceptance"])
    return issue(draft_quote, today=ISSUE_DAY)


def test_auto_deposit_is_issued_and_e_mailed(client, deposit_quote, smtp_settings, django_capture_on_commit_callbacks):
    issued_quote = deposit_quote
    path = path_of(links.portal_url(issued_quote))

    accept(client, path, issued_quote, django_capture_on_commit_callbacks)

    deposit = QuoteInvoice.objects.get(quote=issued_quote, kind="deposit").invoice
    assert deposit.status == InvoiceStatus.ISSUED
    assert deposit.type_code == DocumentType.DEPOSIT_INVOICE
    sent_to_customer = [m for m in smtp_settings.messages if m.rcpt_tos == ["compta@boulangerie-martin.fr"]]
    assert len(sent_to_customer) == 1
    assert deposit.number.encode() in sent_to_customer[0].content


def test_auto_deposit_job_runs_once(client, deposit_quote, smtp_settings, django_capture_on_commit_callbacks):
    issued_quote = deposit_quote
    from ardoise.jobs.models import JobUnit
    from ardoise.portal.tasks import AUTO_DEPOSIT_JOB, make_deposit

    accept(client, path_of(links.portal_url(issued_quote)), issued_quote, django_capture_on_commit_callbacks)
    unit = JobUnit.objects.get(job=AUTO_DEPOSIT_JOB.name)

    summary = make_deposit(unit)

    assert "a déjà sa facture d'acompte" in summary
    assert Invoice.objects.filter(type_code=DocumentType.DEPOSIT_INVOICE).count() == 1
    assert list(AUTO_DEPOSIT_JOB.find_due(timezone.localdate())) == []


def test_no_deposit_without_the_option(client, quote_path, issued_quote, django_capture_on_commit_callbacks):
    accept(client, quote_path, issued_quote, django_capture_on_commit_callbacks)

    assert not QuoteInvoice.objects.exists()


def test_quote_page_for_the_business_shows_the_evidence(owner_client, quote_path, issued_quote):
    from django.test import Client

    accept(Client(), quote_path, issued_quote)

    text = owner_client.get(reverse("quotes:detail", args=[issued_quote.pk])).content.decode()

    assert "Accepté en ligne par le client" in text
    assert "203.0.113.7" in text
    assert issued_quote.pdf_sha256 in text
    assert BROWSER in text


def test_business_creates_a_quote_link(owner_client, issued_quote):
    response = owner_client.post(reverse("portal_links:quote_create", args=[issued_quote.pk]), follow=True)

    link = PortalLink.objects.get()
    assert link.quote == issued_quote
    assert 'value="%s"' % links.link_url(link) in response.content.decode()


def test_quote_e_mail_carries_the_link(issued_quote, smtp_settings, settings):
    from ardoise.quotes.mailing import compose_quote_email, send_quote_email

    settings.BASE_URL = "https://factures.exemple.fr"
    composed = compose_quote_email(issued_quote)
    assert "acceptez-le en ligne : {lien}" in composed.body
    assert PortalLink.objects.count() == 0

    send_quote_email(issued_quote, "compta@boulangerie-martin.fr", composed.subject, composed.body)

    link = PortalLink.objects.get()
    assert links.link_url(link) in OutboundEmail.objects.get().body
    assert link.quote == issued_quote


def test_dashboard_lists_recent_decisions(owner, outsider, quote_path, issued_quote):
    from django.test import Client

    accept(Client(), quote_path, issued_quote)
    staff, rival = Client(), Client()
    staff.force_login(owner)
    rival.force_login(outsider)

    text = staff.get(reverse("dashboard:home")).content.decode()
    other = rival.get(reverse("dashboard:home")).content.decode()

    assert "Réponses à vos devis en ligne" in text
    assert "D-2026-0001</a> — Boulangerie Martin SAS — accepté par Jeanne Martin" in text
    assert "Réponses à vos devis en ligne" not in other
