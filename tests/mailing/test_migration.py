"""Mailing migration 0003 gives each e-mail sent before the delivery log one attempt, its last known result."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ardoise.mailing.models import DeliveryAttempt

BEFORE = ("mailing", "0002_record_cc_recipients")
AFTER = ("mailing", "0003_templates_and_deliveries")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor


@pytest.fixture
def latest_schema_afterwards():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_past_emails_get_one_attempt(organisation, latest_schema_afterwards):
    executor = migrate([BEFORE])
    old_email = executor.loader.project_state([BEFORE]).apps.get_model("mailing", "OutboundEmail")
    sent_at = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
    common = {"organisation_id": organisation.pk, "to": "compta@boulangerie-martin.fr", "subject": "S", "body": "B"}
    sent = old_email.objects.create(status="sent", sent_at=sent_at, **common)
    failed = old_email.objects.create(status="failed", error="550 5.1.1 Utilisateur inconnu", **common)
    old_email.objects.create(status="queued", **common)

    migrate([AFTER])

    attempts = {attempt.email_id: attempt for attempt in DeliveryAttempt.objects.all()}
    assert sorted(attempts) == [sent.pk, failed.pk]
    assert attempts[sent.pk].status == "sent"
    assert attempts[sent.pk].attempted_at == sent_at
    assert attempts[failed.pk].status == "failed"
    assert attempts[failed.pk].reply == "550 5.1.1 Utilisateur inconnu"
