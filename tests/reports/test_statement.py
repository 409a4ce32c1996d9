"""Customer statement: the PDF in the invoices' design, and « Envoyer par e-mail » through a real SMTP server."""

from __future__ import annotations

import datetime
import email
import email.policy
import io
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from ardoise.audit.models import AuditEntry
from ardoise.mailing.models import DeliveryStatus, OutboundEmail
from ardoise.pdf import render
from ardoise.reports import queries
from ardoise.reports.periods import Period
from ardoise.reports.statement_pdf import statement_context
from tests.pdf.pages import lowest_text, text_heights

pytestmark = pytest.mark.django_db

PERIOD = {"du": "2026-10-01", "au": "2026-12-31"}
NBSP = "\u00a0"
NNBSP = "\u202f"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def send(client, customer, **fields):
    data = {
        **PERIOD,
        "to": customer.email,
        "cc": "",
        "subject": "Relevé de compte",
        "body": "Bonjour,\n\nVeuillez trouver ci-joint votre relevé.",
        **fields,
    }
    return client.post(reverse("reports:statement_send", args=[customer.pk]), data)


def test_statement_pdf_lists_movements_and_balances(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:statement_pdf", args=[autumn.martin.pk]), PERIOD)

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="Releve-Boulangerie-Martin-SAS-2026-12-31.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Relevé de compte" in text
    assert "Boulangerie Martin SAS" in text
    assert "Solde au 30/09/2026" in text
    assert "Avoir %s" % autumn.a1.number in text
    assert "Remboursement par virement" in text
    assert "Solde au 31/12/2026" in text
    assert "670,00" in text


def test_statement_page_prefills_billing_address(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:statement"), {**PERIOD, "client": autumn.martin.pk})

    form = response.context["email_form"]
    assert form.initial["to"] == "compta@boulangerie-martin.fr"
    assert "le solde restant dû est de 670,00%s€" % NBSP in form.initial["body"]


def test_statement_sent_to_customer_with_pdf(owner_client, autumn, today, smtp_settings):
    response = send(owner_client, autumn.martin)

    outbound = OutboundEmail.objects.get()
    assert response.status_code == 302
    assert outbound.status == DeliveryStatus.SENT
    assert outbound.invoice is None
    assert outbound.attachment_name == "Releve-Boulangerie-Martin-SAS-2026-12-31.pdf"
    envelope = smtp_settings.messages[0]
    assert envelope.rcpt_tos == ["compta@boulangerie-martin.fr"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    attachments = list(message.iter_attachments())
    assert [part.get_filename() for part in attachments] == ["Releve-Boulangerie-Martin-SAS-2026-12-31.pdf"]
    assert "Relevé de compte" in pdf_text(attachments[0].get_content())
    entry = AuditEntry.objects.get(action="email.sent")
    assert (entry.object_type, entry.object_id) == ("customer", str(autumn.martin.pk))


def test_refused_address_is_reported_and_kept(owner_client, autumn, today, smtp_settings):
    response = send(owner_client, autumn.martin, to="inconnu@boulangerie-martin.fr")

    assert response.status_code == 400
    assert "Utilisateur inconnu" in response.content.decode()
    assert 'value="inconnu@boulangerie-martin.fr"' in response.content.decode()
    assert OutboundEmail.objects.get().status == DeliveryStatus.FAILED


def test_invalid_address_is_refused_before_sending(owner_client, autumn, today, smtp_settings):
    response = send(owner_client, autumn.martin, to="pas-une-adresse")

    assert response.status_code == 400
    assert not OutboundEmail.objects.exists()
    assert smtp_settings.messages == []


def test_other_organisation_customer_statement_is_not_found(owner_client, autumn, today):
    url = reverse("reports:statement_pdf", args=[autumn.outsider_customer.pk])

    assert owner_client.get(url, PERIOD).status_code == 404
    assert send(owner_client, autumn.outsider_customer).status_code == 404


def test_statement_csv_has_opening_and_closing_rows(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:statement"), {**PERIOD, "client": autumn.martin.pk, "format": "csv"})

    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1] == "01/10/2026;Solde à l'ouverture;;;;;570,00"
    assert lines[-1] == "31/12/2026;Solde à la clôture;;;1590,00;1490,00;670,00"


def test_statement_uses_organisation_template(owner_client, autumn, today, organisation, smtp_settings):
    from ardoise.customers.models import Contact
    from ardoise.mailing.models import EmailTemplate

    EmailTemplate.objects.create(
        organisation=organisation,
        kind="statement",
        subject="Votre relevé au {fin} : {solde}",
        body="Bonjour {client}, du {debut} au {fin}.",
        attachment_name="Relevé {client} {fin}.pdf",
    )
    Contact.objects.create(customer=autumn.martin, name="Julie", email="julie@boulangerie-martin.fr")

    page = owner_client.get(reverse("reports:statement"), {**PERIOD, "client": autumn.martin.pk})
    initial = page.context["email_form"].initial
    send(owner_client, autumn.martin, to=initial["to"], subject=initial["subject"])

    attachment = next(
        email.message_from_bytes(
            smtp_settings.messages[0].original_content, policy=email.policy.default
        ).iter_attachments()
    )
    assert initial["to"] == "julie@boulangerie-martin.fr"
    assert initial["subject"] == "Votre relevé au 31/12/2026 : 670,00%s€" % NBSP
    assert initial["body"] == "Bonjour Boulangerie Martin SAS, du 01/10/2026 au 31/12/2026."
    assert attachment.get_filename() == "Relevé Boulangerie Martin SAS 31-12-2026.pdf"


def test_statement_queries_do_not_grow_with_lines(autumn, today):
    period = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))

    def read_everything(customer):
        statement = queries.statement(autumn.organisation, customer, period)
        return list(statement.lines), statement.closing_balance, statement.credit, statement.open_invoices

    with CaptureQueriesContext(connection) as few:
        short, *_rest = read_everything(autumn.petit)
    with CaptureQueriesContext(connection) as many:
        long, *_rest = read_everything(autumn.martin)

    assert len(short) < len(long)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_statement_defaults_to_this_month_until_today(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:statement"), {"client": autumn.martin.pk})

    statement = response.context["statement"]
    assert statement.period == Period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 10))
    assert 'value="2026-12-10"' in response.content.decode()
    assert statement.opening_balance == statement.closing_balance == Decimal("670.00")


def test_statement_presets_end_today(owner_client, autumn, today):
    year = owner_client.get(reverse("reports:statement"), {"client": autumn.martin.pk, "periode": "annee"})

    assert year.context["statement"].period == Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 10))


def test_statement_keeps_typed_dates(owner_client, autumn, today):
    chosen = owner_client.get(reverse("reports:statement"), {**PERIOD, "client": autumn.martin.pk})

    assert chosen.context["statement"].period == Period(datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))


def test_statement_pdf_defaults_to_this_month(owner_client, autumn, today):
    response = owner_client.get(reverse("reports:statement_pdf", args=[autumn.martin.pk]))

    text = pdf_text(response.content)
    assert "du 01/12/2026 au 10/12/2026" in text
    assert "Solde au 30/11/2026" in text
    assert "Solde au 10/12/2026" in text
    assert 'filename="Releve-Boulangerie-Martin-SAS-2026-12-10.pdf"' in response["Content-Disposition"]


def test_unapplied_credit_is_taken_off_the_balance(owner_client, autumn, today):
    from ardoise.payments.services import receive_payment
    from tests.reports.conftest import on

    with on(today):
        receive_payment(autumn.martin, Decimal("5000.00"), today)
    statement = queries.statement(autumn.organisation, autumn.martin, Period(datetime.date(2026, 10, 1), today))
    assert statement.credit > 0

    page = owner_client.get(reverse("reports:statement"), {"client": autumn.martin.pk, **PERIOD}).content.decode()
    text = pdf_text(owner_client.get(reverse("reports:statement_pdf", args=[autumn.martin.pk]), PERIOD).content)

    assert "après déduction de" in page
    assert "Moins votre crédit non affecté" in text
    assert "Dont" not in text


@pytest.fixture
def pdf_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "pdf": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "statement-tests"},
    }
    caches["pdf"].clear()


def test_statement_pdf_cached(pdf_cache, owner_client, autumn, today, monkeypatch):
    rendered = []
    compiler = render._compiler

    def counting(template):
        rendered.append(template.name)
        return compiler(template)

    monkeypatch.setattr(render, "_compiler", counting)
    address = reverse("reports:statement_pdf", args=[autumn.martin.pk])

    first = owner_client.get(address, PERIOD)
    again = owner_client.get(address, PERIOD)
    other = owner_client.get(address, {"du": "2026-11-01", "au": "2026-12-31"})

    assert again.content == first.content
    assert other.content != first.content
    assert rendered == ["statement.typ", "statement.typ"]


def test_statement_pdf_cache_failure(pdf_cache, owner_client, autumn, today, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is not running")

    monkeypatch.setattr(caches["pdf"], "get", broken)
    monkeypatch.setattr(caches["pdf"], "set", broken)

    response = owner_client.get(reverse("reports:statement_pdf", args=[autumn.martin.pk]), PERIOD)

    assert response.status_code == 200
    assert "Relevé de compte" in pdf_text(response.content)
    assert "The PDF cache could not be read" in caplog.text


def test_long_statement_pdf_in_child(owner_client, autumn, today, monkeypatch):
    children = []
    compile_apart = render.compile_apart

    def counting(*args, **kwargs):
        children.append(args[0].name)
        return compile_apart(*args, **kwargs)

    monkeypatch.setattr(render, "compile_apart", counting)
    monkeypatch.setattr(render, "LINES_RENDERED_APART", 2)
    address = reverse("reports:statement_pdf", args=[autumn.martin.pk])

    response = owner_client.get(address, PERIOD)

    assert children == ["statement.typ"]
    text = pdf_text(response.content)
    assert "Avoir %s" % autumn.a1.number in text
    assert "Solde au 31/12/2026" in text


def test_long_list_of_open_invoices_flows_over_pages(autumn, today):
    statement = queries.statement(autumn.organisation, autumn.martin, Period(datetime.date(2026, 10, 1), today))
    data = statement_context(autumn.organisation, statement, today)
    # Far more open invoices than a page holds: they once ran off the bottom of the page.
    data["open_invoices"] = [
        {"number": "F-2026-%04d" % index, "due": "01/10/2026", "balance": "10,00 €", "late": "61 j"}
        for index in range(1, 121)
    ]

    content = render.render_statement_pdf(data)

    heights = text_heights(content)
    assert lowest_text(content) > 0
    printed = {text for _page, _height, text in heights}
    assert {"F-2026-%04d" % index for index in range(1, 121)} <= printed
    caption_pages = {page for page, _height, text in heights if text == "FACTURES RESTANT DUES"}
    assert len(caption_pages) >= 2
    last_page = max(page for page, _height, _text in heights)
    footers = [text for page, _height, text in heights if page == last_page and text.startswith("Relevé de compte")]
    assert footers == ["Relevé de compte Boulangerie Martin SAS · %d/%d" % (last_page, last_page)]


def test_long_customer_name_is_shortened_in_page_footer(autumn, today):
    autumn.martin.name = "Société coopérative de production des boulangers réunis du Val-de-Marne"
    statement = queries.statement(autumn.organisation, autumn.martin, Period(datetime.date(2026, 10, 1), today))

    data = statement_context(autumn.organisation, statement, today)

    assert data["subtitle"] == autumn.martin.name
    assert data["reference"] == "Relevé de compte Société coopérative de production des b…"


def test_statement_pdf_failure_message(owner_client, autumn, today, monkeypatch, smtp_settings):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    monkeypatch.setattr(render, "LINES_RENDERED_APART", -1)

    response = owner_client.get(reverse("reports:statement_pdf", args=[autumn.martin.pk]), PERIOD)

    assert response.status_code == 503
    page = response.content.decode()
    assert "la mise en page s&#x27;est arrêtée avant la fin. Réessayez dans un instant." in page
    assert "Boulangerie Martin SAS" in page

    sent = send(owner_client, autumn.martin)

    assert sent.status_code == 400
    assert "la mise en page s&#x27;est arrêtée avant la fin" in sent.content.decode()
    assert not OutboundEmail.objects.filter(to=autumn.martin.email).exists()
