"""Sending a customer statement by e-mail, through the mailing app like an invoice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date
from ardoise.mailing.models import OutboundEmail
from ardoise.mailing.services import send_pdf_email
from ardoise.reports.queries import Statement
from ardoise.reports.statement_pdf import statement_pdf

logger = logging.getLogger(__name__)


def default_subject(organisation: Any, statement: Statement) -> str:
    return _("Relevé de compte au %(date)s – %(organisation)s") % {
        "date": format_date(statement.period.end),
        "organisation": organisation.name,
    }


def default_body(organisation: Any, statement: Statement) -> str:
    """Write the cover message, worded for who owes whom at the end of the period."""
    values = {
        "start": format_date(statement.period.start),
        "end": format_date(statement.period.end),
        "balance": format_amount(abs(statement.closing_balance), statement.currency),
    }
    paragraphs = [
        _("Bonjour,"),
        _("Veuillez trouver ci-joint votre relevé de compte du %(start)s au %(end)s.") % values,
    ]
    if statement.closing_balance > 0:
        paragraphs.append(_("Au %(end)s, le solde restant dû est de %(balance)s.") % values)
    elif statement.closing_balance < 0:
        paragraphs.append(_("Au %(end)s, le solde est de %(balance)s en votre faveur.") % values)
    else:
        paragraphs.append(_("Au %(end)s, votre compte est soldé. Nous vous remercions de vos règlements.") % values)
    paragraphs += [
        _("Nous restons à votre disposition pour toute question."),
        _("Cordialement,") + "\n" + organisation.name,
    ]
    return "\n\n".join(paragraphs)


def send_statement(
    organisation: Any,
    statement: Statement,
    to: str | Sequence[str],
    subject: str,
    body: str,
    cc: str | Sequence[str] | None = None,
    *,
    bcc: str | Sequence[str] | None = None,
    user: Any = None,
    request: Any = None,
) -> OutboundEmail:
    """Render the statement's PDF and e-mail it; the audit log records it on the customer.

    The attachment is named by the organisation's statement e-mail template, if it has one.
    """
    from ardoise.mailing.templating import compose_statement_email

    pdf = statement_pdf(organisation, statement)
    outbound = send_pdf_email(
        organisation,
        to,
        subject,
        body,
        cc,
        bcc=bcc,
        attachment_name=compose_statement_email(organisation, statement).attachment_name,
        pdf=pdf,
        audit_object=statement.customer,
        user=user,
        request=request,
    )
    logger.info(
        "statement e-mailed organisation=%s customer=%s email=%s status=%s",
        organisation.pk,
        statement.customer.pk,
        outbound.pk,
        outbound.status,
    )
    return outbound
