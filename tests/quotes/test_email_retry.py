"""Failed quote e-mails are sent again by ``mailing.retry_failed``, through a real SMTP server on loopback."""

from __future__ import annotations

import datetime
import email
import email.policy

import pytest
import time_machine

from ardoise.audit.models import AuditEntry
from ardoise.jobs.models import JobUnit, RunStatus, UnitStatus
from ardoise.jobs.services import run_due
from ardoise.mailing.models import DeliveryStatus
from ardoise.mailing.services import message_id
from ardoise.mailing.tasks import RETRY_FAILED_EMAILS
from ardoise.quotes.mailing import send_quote_email
from ardoise.quotes.models import QuoteStatus
from tests.mailing.conftest import _free_port

pytestmark = pytest.mark.django_db

# 10:00 in Paris: the first attempt fails then, the retries are due 5 and 10 minutes later.
FAILED_AT = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 4)
TO = "achats@boulangerie-martin.fr"


class RefusingThenAcceptingHandler:
    """An aiosmtpd handler that replies « 451 » (try again later) to the first ``refusals`` messages."""

    def __init__(self, refusals: int):
        self.refusals = refusals
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Serveur surchargé, réessayez plus tard"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_handler(settings):
    """A real SMTP server on 127.0.0.1 that refuses two messages for now, then accepts."""
    from aiosmtpd.controller import Controller

    handler = RefusingThenAcceptingHandler(refusals=2)
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "use_tls": False, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


@pytest.fixture
def clock():
    with time_machine.travel(FAILED_AT, tick=False) as traveller:
        yield traveller


def retry() -> list:
    return run_due(DAY, [RETRY_FAILED_EMAILS]).outcomes


def test_failed_quote_email_sent_again(issued_quote, smtp_handler, clock):
    outbound = send_quote_email(issued_quote, [TO], "Devis D-2026-0001", "Bonjour,\n\nCi-joint notre devis.")
    assert outbound.status == DeliveryStatus.FAILED
    issued_quote.refresh_from_db()
    assert issued_quote.status == QuoteStatus.ISSUED

    clock.shift(datetime.timedelta(minutes=5))
    second = retry()
    outbound.refresh_from_db()
    unit = JobUnit.objects.get(job="mailing.retry_failed", key="email:%s" % outbound.pk)
    assert [(outcome.status, outcome.will_retry) for outcome in second] == [(RunStatus.FAILED, True)]
    assert outbound.status == DeliveryStatus.FAILED
    assert "451" in outbound.error
    assert unit.status == UnitStatus.PENDING
    assert unit.run_after == FAILED_AT + datetime.timedelta(minutes=10)

    clock.shift(datetime.timedelta(minutes=5))
    third = retry()
    outbound.refresh_from_db()
    issued_quote.refresh_from_db()
    assert [(outcome.status, outcome.text) for outcome in third] == [
        (RunStatus.SUCCEEDED, "Envoyé à achats@boulangerie-martin.fr.")
    ]
    assert outbound.status == DeliveryStatus.SENT
    assert [attempt.status for attempt in outbound.attempts.order_by("id")] == ["failed", "failed", "sent"]
    assert issued_quote.status == QuoteStatus.SENT

    (envelope,) = smtp_handler.messages
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Message-ID"] == message_id(outbound)
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "Devis-D-2026-0001.pdf"
    assert attachment.get_content() == issued_quote.issued_pdf()


def test_quote_retries_written_to_audit_log(issued_quote, smtp_handler, clock):
    outbound = send_quote_email(issued_quote, [TO], "Devis D-2026-0001", "Bonjour")
    for _step in range(2):
        clock.shift(datetime.timedelta(minutes=5))
        retry()

    entries = AuditEntry.objects.filter(object_id=str(issued_quote.pk), action__startswith="email.")
    assert [(entry.action, entry.data.get("attempt")) for entry in entries.order_by("id")] == [
        ("email.failed", None),
        ("email.failed", 1),
        ("email.sent", 2),
    ]
    assert AuditEntry.objects.filter(action="quote.sent", object_id=str(issued_quote.pk)).count() == 1
    outbound.refresh_from_db()
    assert outbound.status == DeliveryStatus.SENT


def test_newer_quote_email_replaces_failed_one(issued_quote, smtp_handler, clock):
    first = send_quote_email(issued_quote, [TO], "Devis", "Bonjour")
    second = send_quote_email(issued_quote, [TO], "Devis, deuxième essai", "Bonjour")
    clock.shift(datetime.timedelta(minutes=5))

    outcomes = retry()

    assert (first.status, second.status) == (DeliveryStatus.FAILED, DeliveryStatus.FAILED)
    units = JobUnit.objects.filter(job="mailing.retry_failed")
    assert [unit.key for unit in units] == ["email:%s" % second.pk]
    assert [outcome.status for outcome in outcomes] == [RunStatus.SUCCEEDED]
    assert len(smtp_handler.messages) == 1
