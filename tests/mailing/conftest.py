import datetime
import socket

import pytest

from ardoise.invoicing.services import issue_invoice

ISSUE_DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def issued_invoice(draft_invoice):
    """The shared draft issued on 4 December 2026: 1 065,00 € TTC, due on 3 January 2027."""
    return issue_invoice(draft_invoice, today=ISSUE_DAY)


class RecordingHandler:
    """An aiosmtpd handler that keeps every message and refuses recipients whose address starts with "inconnu"."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("inconnu"):
            return "550 5.1.1 Utilisateur inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 and an ephemeral port, recording what it receives."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Send through the test SMTP server, with Django's mailer settings."""
    controller, handler = smtp_server
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "use_tls": False, "timeout": 5},
        }
    }
    return handler


@pytest.fixture
def eml_settings(settings):
    """Write messages to the outbox folder, as an install without SMTP does."""
    settings.MAILERS = {"default": {"BACKEND": "ardoise.mailing.backends.EmlFileBackend"}}
    return settings.EMAIL_OUTBOX_DIR
