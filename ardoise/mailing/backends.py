"""An e-mail backend that writes each message as an .eml file, for installs without SMTP."""

from __future__ import annotations

import email.policy
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write every message to ``EMAIL_OUTBOX_DIR`` as ``<timestamp>-<id>.eml``.

    The path of the last file written is set on the message as ``eml_path`` so
    that the caller can record it.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        # Read at send time, so that tests can point it elsewhere.
        directory = Path(settings.EMAIL_OUTBOX_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = "%s-%s.eml" % (timezone.now().strftime("%Y%m%dT%H%M%S"), uuid.uuid4().hex[:12])
            path = directory / name
            # CRLF line endings, as an SMTP server receives the message (RFC 5322).
            path.write_bytes(message.message().as_bytes(policy=email.policy.default.clone(linesep="\r\n")))
            message.eml_path = str(path)  # type: ignore[attr-defined]
        return len(email_messages)
