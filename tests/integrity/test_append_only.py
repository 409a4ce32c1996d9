"""Payments, audit entries and chain records: changes rejected by the models and by the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from ardoise.audit.models import AuditEntry
from ardoise.integrity.exceptions import AppendOnlyError
from ardoise.integrity.models import ChainRecord
from ardoise.payments.models import Payment
from ardoise.payments.services import PaymentError, record_payment, reverse_payment

TABLES = ["payments_payment", "audit_auditentry", "integrity_chainrecord"]


@pytest.mark.django_db
def test_payment_save_after_creation_is_refused(paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)
    payment.amount = Decimal("1.00")

    with pytest.raises(AppendOnlyError, match="ne peut être ni modifié ni supprimé"):
        payment.save()


@pytest.mark.django_db
def test_payment_delete_is_refused(paid_invoice):
    with pytest.raises(AppendOnlyError):
        Payment.objects.get(invoice=paid_invoice).delete()


@pytest.mark.django_db
def test_audit_entry_and_chain_record_changes_are_refused(paid_invoice):
    entry = AuditEntry.objects.filter(action="payment.recorded").get()
    record = ChainRecord.objects.get(invoice=paid_invoice)

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_database_refuses_update(paid_invoice, table):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE %s SET created_at = created_at" % table)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_database_refuses_delete(paid_invoice, table):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM %s" % table)


@pytest.mark.django_db
def test_queryset_update_bypassing_the_model_is_refused(paid_invoice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(invoice=paid_invoice).update(amount=Decimal("1.00"))


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_triggers_exist_on_every_append_only_table(paid_invoice):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        names = [row[0] for row in cursor.fetchall()]

    assert [name for name in names if name.endswith("_append_only")] == [
        "audit_auditentry_append_only",
        "integrity_chainrecord_append_only",
        "payments_payment_append_only",
        "payments_receipt_append_only",
    ]


@pytest.mark.django_db
def test_reversal_compensates_the_payment(paid_invoice, owner):
    payment = Payment.objects.get(invoice=paid_invoice)

    reversal = reverse_payment(payment, user=owner)

    assert reversal.amount == Decimal("-400.00")
    assert reversal.reverses == payment
    assert reversal.date == datetime.date(2026, 12, 10)
    assert paid_invoice.balance() == Decimal("1065.00")
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("400.00")


@pytest.mark.django_db
def test_payment_cannot_be_reversed_twice(paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)
    reversal = reverse_payment(payment)

    with pytest.raises(PaymentError, match="Le paiement du 08/12/2026 est déjà annulé"):
        reverse_payment(payment)
    with pytest.raises(PaymentError, match="annule déjà un paiement"):
        reverse_payment(reversal)


@pytest.mark.django_db
def test_database_refuses_a_negative_payment_without_original(paid_invoice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            organisation=paid_invoice.organisation,
            invoice=paid_invoice,
            date=datetime.date(2026, 12, 9),
            amount=Decimal("-10.00"),
        )


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_append_only_triggers(issued_invoice):
    record_payment(issued_invoice, Decimal("10.00"), datetime.date(2026, 12, 9))

    call_command("flush", interactive=False, verbosity=0)

    assert not Payment.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not ChainRecord.objects.exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_delete'")
            names = sorted(row[0] for row in cursor.fetchall())
        assert "payments_payment_no_delete" in names
        assert "audit_auditentry_no_delete" in names
        assert "integrity_chainrecord_no_delete" in names
