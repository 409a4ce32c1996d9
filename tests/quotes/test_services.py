import datetime
from decimal import Decimal

import pytest

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.models import Invoice, InvoiceLine, NumberingSeries, SeriesKind
from ardoise.invoicing.services import normalise_line_vat, refresh_totals
from ardoise.quotes import services
from ardoise.quotes.exceptions import IssuedQuoteError, QuoteError
from ardoise.quotes.models import Quote, QuoteKind, QuoteLine, QuoteSettings, QuoteStatus

from .conftest import ISSUE_DAY


def actions(quote):
    entries = AuditEntry.objects.filter(object_type="quote", object_id=str(quote.pk)).order_by("id")
    return list(entries.values_list("action", flat=True))


def test_draft_totals_match_invoice_engine(draft_quote, organisation, customer):
    invoice = Invoice.objects.create(
        organisation=organisation, customer=customer, discount_value=draft_quote.discount_value
    )
    for line in draft_quote.lines.all():
        invoice_line = InvoiceLine(
            invoice=invoice,
            name=line.name,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            is_service=line.is_service,
        )
        normalise_line_vat(invoice_line, organisation, customer)
        invoice_line.save()
    refresh_totals(invoice)

    assert draft_quote.total_without_vat == Decimal("808.03")
    assert draft_quote.total_without_vat == invoice.total_without_vat
    assert draft_quote.total_vat == invoice.total_vat
    assert draft_quote.total_with_vat == invoice.total_with_vat


def test_issue_numbers_and_freezes(issued_quote):
    assert issued_quote.number == "D-2026-0001"
    assert issued_quote.status == QuoteStatus.ISSUED
    assert issued_quote.issue_date == ISSUE_DAY
    assert issued_quote.validity_date == ISSUE_DAY + datetime.timedelta(days=30)
    assert issued_quote.issued_pdf().startswith(b"%PDF-")
    assert len(issued_quote.pdf_sha256) == 64
    assert issued_quote.document["body"]["number"] == "D-2026-0001"
    assert issued_quote.series.kind == SeriesKind.QUOTE
    assert "quote.issued" in actions(issued_quote)


def test_issued_quote_rejects_changes(issued_quote):
    issued_quote.notes = "Changement après émission"
    with pytest.raises(IssuedQuoteError):
        issued_quote.save()

    line = issued_quote.lines.first()
    line.quantity = Decimal("99")
    with pytest.raises(IssuedQuoteError):
        line.save()

    with pytest.raises(IssuedQuoteError):
        Quote.objects.get(pk=issued_quote.pk).delete()


def test_validity_days_from_settings(draft_quote, organisation):
    QuoteSettings.objects.create(organisation=organisation, validity_days=45)

    quote = services.issue(draft_quote, today=ISSUE_DAY)

    assert quote.validity_date == datetime.date(2027, 1, 18)


def test_validity_before_issue_rejected(draft_quote):
    draft_quote.validity_date = ISSUE_DAY - datetime.timedelta(days=1)
    draft_quote.save()

    with pytest.raises(QuoteError) as raised:
        services.issue(draft_quote, today=ISSUE_DAY)

    assert "03/12/2026" in " ".join(raised.value.details)
    assert Quote.objects.get(pk=draft_quote.pk).number == ""


def test_numbering_gapless_after_failure(organisation, customer, draft_quote):
    empty = services.save_draft(Quote(organisation=organisation, customer=customer), [])
    with pytest.raises(QuoteError):
        services.issue(empty, today=ISSUE_DAY)

    first = services.issue(draft_quote, today=ISSUE_DAY)
    second = services.issue(services.duplicate(first), today=ISSUE_DAY)

    assert first.number == "D-2026-0001"
    assert second.number == "D-2026-0002"


def test_quote_series_separate_from_invoices(issued_quote, issued_invoice):
    assert issued_invoice.number == "F-2026-0001"
    assert issued_quote.series != issued_invoice.series
    kinds = set(NumberingSeries.objects.filter(organisation=issued_quote.organisation).values_list("kind", flat=True))
    assert kinds == {SeriesKind.INVOICE, SeriesKind.QUOTE}


def test_proforma_own_series_no_invoice(organisation, customer, product):
    quote = Quote(organisation=organisation, customer=customer, kind=QuoteKind.PROFORMA)
    line = QuoteLine(name="Acompte matériel", quantity=Decimal("1"), unit_price=Decimal("500"))
    quote = services.issue(services.save_draft(quote, [line]), today=ISSUE_DAY)

    assert quote.number == "PF-2026-0001"
    assert quote.series.kind == SeriesKind.PROFORMA
    assert not Invoice.objects.filter(organisation=organisation).exists()
    with pytest.raises(QuoteError):
        services.accept(quote, name="Client")


def test_mark_sent_then_accept(issued_quote, owner):
    services.mark_sent(issued_quote, user=owner)
    quote = services.accept(issued_quote, owner, name="Jeanne Martin")

    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.sent_at is not None
    assert quote.accepted_by_name == "Jeanne Martin"
    assert quote.acceptance_evidence == {"channel": "paper", "pdf_sha256": quote.pdf_sha256}
    assert actions(quote)[-2:] == ["quote.sent", "quote.accepted"]


def test_paper_decisions_queue_webhooks(issued_quote, organisation, owner):
    from ardoise.webhooks.models import Delivery, Subscription

    Subscription.objects.create(
        organisation=organisation, url="https://crm.exemple.fr/hook", events=["quote.accepted", "quote.refused"]
    )
    refused = services.duplicate(issued_quote, user=owner)
    refused = services.issue(refused, user=owner, today=ISSUE_DAY)

    services.accept(issued_quote, owner, name="Jeanne Martin")
    services.refuse(refused, owner, reason="Trop cher")

    keys = sorted(Delivery.objects.values_list("event_key", flat=True))
    assert keys == sorted(["quote.accepted:%s" % issued_quote.pk, "quote.refused:%s" % refused.pk])


def test_accept_with_portal_evidence(issued_quote):
    evidence = {"channel": "portal", "ip": "127.0.0.1", "pdf_sha256": issued_quote.pdf_sha256}

    quote = services.accept(issued_quote, evidence=evidence, name="Jeanne Martin")

    assert quote.acceptance_evidence == evidence
    entry = AuditEntry.objects.filter(action="quote.accepted").get()
    assert entry.user is None
    assert entry.data["evidence"]["channel"] == "portal"


def test_refuse_then_accept_rejected(issued_quote):
    services.refuse(issued_quote, reason="Trop cher")

    with pytest.raises(QuoteError) as raised:
        services.accept(issued_quote, name="Jeanne Martin")

    assert "Refusé" in raised.value.message
    assert Quote.objects.get(pk=issued_quote.pk).refusal_reason == "Trop cher"


def test_draft_cannot_be_accepted(draft_quote):
    with pytest.raises(QuoteError) as raised:
        services.accept(draft_quote, name="Jeanne Martin")

    assert "brouillon" in raised.value.message


def test_expire_past_validity(issued_quote):
    last_valid_day = issued_quote.validity_date

    assert services.expire(issued_quote, today=last_valid_day) is False
    assert services.expire(issued_quote, today=last_valid_day + datetime.timedelta(days=1)) is True
    assert services.expire(issued_quote, today=last_valid_day + datetime.timedelta(days=2)) is False
    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.EXPIRED


def test_accepted_quote_never_expires(issued_quote):
    services.accept(issued_quote, name="Jeanne Martin")

    assert services.expire(issued_quote, today=issued_quote.validity_date + datetime.timedelta(days=10)) is False


def test_duplicate_is_independent_draft(issued_quote):
    copy = services.duplicate(issued_quote)

    assert copy.is_draft
    assert copy.version == 1
    assert copy.previous_version is None
    assert copy.duplicated_from == issued_quote
    assert copy.total_with_vat == issued_quote.total_with_vat
    assert [line.name for line in copy.lines.all()] == [line.name for line in issued_quote.lines.all()]
    assert copy.conditions == issued_quote.conditions


def test_revise_keeps_link(issued_quote):
    revision = services.revise(issued_quote)
    issued_revision = services.issue(revision, today=ISSUE_DAY)

    assert issued_revision.version == 2
    assert issued_revision.previous_version == issued_quote
    assert issued_revision.number == "D-2026-0002"
    assert issued_revision.document["previous_number"] == "D-2026-0001"
    assert services.version_chain(issued_quote) == [issued_quote, issued_revision]
    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.SUPERSEDED
    assert actions(issued_quote)[-1] == "quote.superseded"


def test_superseded_version_cannot_be_accepted(issued_quote):
    services.issue(services.revise(issued_quote), today=ISSUE_DAY)

    with pytest.raises(QuoteError):
        services.accept(Quote.objects.get(pk=issued_quote.pk), name="Jeanne Martin")


def test_draft_revision_stays_open_until_issued(issued_quote):
    services.revise(issued_quote)

    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.ISSUED


@pytest.mark.parametrize("fully", [None, False, True])
def test_accepted_quote_cannot_be_revised(issued_quote, fully):
    services.accept(issued_quote, name="Jeanne Martin")
    if fully is not None:
        services.mark_invoiced(issued_quote, fully=fully)

    with pytest.raises(QuoteError) as raised:
        services.revise(Quote.objects.get(pk=issued_quote.pk))

    assert "ne peut plus être révisé" in raised.value.message
    assert not Quote.objects.filter(previous_version=issued_quote).exists()


def test_revision_not_issued_once_previous_accepted(issued_quote):
    revision = services.revise(issued_quote)
    services.accept(issued_quote, name="Jeanne Martin")

    with pytest.raises(QuoteError):
        services.issue(revision, today=ISSUE_DAY)

    revision.refresh_from_db()
    assert revision.status == QuoteStatus.DRAFT
    assert revision.number == ""
    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.ACCEPTED


def test_second_revision_rejected(issued_quote):
    services.revise(issued_quote)

    with pytest.raises(QuoteError) as raised:
        services.revise(issued_quote)

    assert "version 2" in raised.value.message


def test_mark_invoiced_after_acceptance(issued_quote):
    with pytest.raises(QuoteError):
        services.mark_invoiced(issued_quote, fully=False)
    services.accept(issued_quote, name="Jeanne Martin")

    services.mark_invoiced(issued_quote, fully=False)
    quote = services.mark_invoiced(issued_quote, fully=True)

    assert quote.status == QuoteStatus.INVOICED


def test_quote_series_never_default(owner_client, organisation):
    from django.urls import reverse

    data = {"name": "Devis chantier", "kind": "quote", "pattern": "DC-{YYYY}-{NNNN}", "reset": "yearly"}
    data["is_default"] = "on"
    owner_client.post(reverse("invoicing:series_create"), data)

    series = NumberingSeries.objects.get(organisation=organisation, name="Devis chantier")
    assert series.kind == SeriesKind.QUOTE
    assert not series.is_default
    response = owner_client.post(reverse("invoicing:series_make_default", args=[series.pk]), follow=True)
    assert "pas des factures" in response.text


def test_invoice_rejects_quote_series(draft_invoice, issued_quote):
    from ardoise.invoicing.exceptions import InvoicingError
    from ardoise.invoicing.services import issue_invoice

    draft_invoice.series = issued_quote.series
    draft_invoice.save()

    with pytest.raises(InvoicingError) as raised:
        issue_invoice(draft_invoice, today=ISSUE_DAY)

    assert "numérote des devis" in " ".join(raised.value.details)
