import datetime
import socket

import pytest

from ardoise.invoicing.services import issue_invoice

ISSUE_DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def issued_invoice(draft_invoice):
    """The shared draft issued on 4 December 2026: 1 065,00 € TTC, due on 3 January 2027 (30 days)."""
    return issue_invoice(draft_invoice, today=ISSUE_DAY)


class RecordingHandler:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback that records every message, used as Ardoise's mailer."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
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
