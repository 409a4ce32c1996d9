"""A logging filter that hides the tokens of portal URLs, which open a document to whoever holds them."""

from __future__ import annotations

import logging
import re

# The token is the path segment after /portail/; the rest of the path stays readable. A record
# passes the filter once per handler, so a token already hidden is left as it is.
PORTAL_TOKEN = re.compile(r"(/portail/)(?!\[jeton masqué\])[^/\s?#\"']+")
REDACTED = r"\1[jeton masqué]"


class RedactPortalTokens(logging.Filter):
    """Replace the token of every portal URL in a record's message, e.g. Django's « Not Found: /portail/… »."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/portail/" in message:
            record.msg = PORTAL_TOKEN.sub(REDACTED, message)
            record.args = None
        return True
