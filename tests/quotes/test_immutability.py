"""The database refuses changes to an issued quote that bypass the models, and allows its status to move."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ardoise.quotes import services
from ardoise.quotes.models import FROZEN_FIELDS, Quote, QuoteFile, QuoteLine, QuoteStatus
from ardoise.quotes.triggers import FROZEN_COLUMNS


def test_trigger_covers_model_frozen_fields():
    assert set(FROZEN_FIELDS) <= set(FROZEN_COLUMNS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda pk: Quote.objects.filter(pk=pk).update(total_with_vat=Decimal("1.00")),
        lambda pk: Quote.objects.filter(pk=pk).update(conditions="Autres conditions"),
        lambda pk: Quote.objects.filter(pk=pk).update(validity_date=datetime.date(2027, 6, 1)),
        lambda pk: Quote.objects.filter(pk=pk).update(document_adjustments=[{"amount": "1"}]),
        lambda pk: Quote.objects.filter(pk=pk).update(status=QuoteStatus.DRAFT, number=""),
        lambda pk: Quote.objects.filter(pk=pk).delete(),
        lambda pk: QuoteLine.objects.filter(quote_id=pk).update(unit_price=Decimal("1")),
        lambda pk: QuoteLine.objects.filter(quote_id=pk).delete(),
        lambda pk: QuoteLine.objects.bulk_create([QuoteLine(quote_id=pk, name="Ajout", unit_price=Decimal("1"))]),
        lambda pk: QuoteFile.objects.filter(quote_id=pk).update(pdf=b"forged"),
        lambda pk: QuoteFile.objects.filter(quote_id=pk).delete(),
    ],
    ids=[
        "total",
        "conditions",
        "validity",
        "adjustments",
        "back-to-draft",
        "delete",
        "line-update",
        "line-delete",
        "line-insert",
        "pdf-update",
        "pdf-delete",
    ],
)
def test_database_rejects_bypassing_changes(issued_quote, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        change(issued_quote.pk)


@pytest.mark.django_db
def test_raw_sql_amount_update_fails(issued_quote):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE quotes_quote SET total_with_vat = 1 WHERE id = %s", [issued_quote.pk])

    issued_quote.refresh_from_db()
    assert issued_quote.total_with_vat == Decimal("958.50")


@pytest.mark.django_db
def test_raw_sql_line_update_fails(issued_quote):
    line = issued_quote.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE quotes_quoteline SET quantity = 99 WHERE id = %s", [line.pk])

    line.refresh_from_db()
    assert line.quantity == Decimal("12.5")


@pytest.mark.django_db
def test_status_moves_in_database(issued_quote, owner):
    now = timezone.now()
    moves = [
        {"status": QuoteStatus.SENT, "sent_at": now},
        {"status": QuoteStatus.ACCEPTED, "accepted_at": now, "accepted_by_name": "Jeanne Martin"},
        {"acceptance_evidence": {"channel": "paper"}},
        {"status": QuoteStatus.PARTIALLY_INVOICED},
        {"status": QuoteStatus.INVOICED},
        {"status": QuoteStatus.REFUSED, "refused_at": now, "refusal_reason": "Trop cher"},
        {"status": QuoteStatus.EXPIRED, "expired_at": now},
        {"duplicated_from": None, "updated_at": now},
    ]
    for values in moves:
        assert Quote.objects.filter(pk=issued_quote.pk).update(**values) == 1

    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.EXPIRED
    assert issued_quote.refusal_reason == "Trop cher"


@pytest.mark.django_db
def test_service_transitions_pass_the_triggers(issued_quote, owner):
    services.mark_sent(issued_quote, user=owner)
    accepted = services.accept(issued_quote, owner, name="Jeanne Martin")

    assert accepted.status == QuoteStatus.ACCEPTED
    assert Quote.objects.get(pk=issued_quote.pk).accepted_by_name == "Jeanne Martin"


@pytest.mark.django_db
def test_draft_stays_editable_in_database(draft_quote):
    assert Quote.objects.filter(pk=draft_quote.pk).update(conditions="Autres conditions") == 1
    assert QuoteLine.objects.filter(quote=draft_quote).update(unit_price=Decimal("2")) == 2
    assert QuoteLine.objects.filter(quote=draft_quote).delete()[0] == 2
