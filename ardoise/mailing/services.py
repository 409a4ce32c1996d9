"""Sending issued invoices and other PDF documents by e-mail, with a delivery record for each message."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.audit.services import record
from ardoise.core.document import InvoiceDocument
from ardoise.core.formats import format_amount, format_date, format_iban
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.invoicing.presentation import issued_document
from ardoise.mailing.models import DeliveryAttempt, DeliveryStatus, OutboundEmail
from ardoise.mailing.placeholders import PORTAL_LINK

logger = logging.getLogger(__name__)


def default_subject(invoice: Invoice) -> str:
    if invoice.is_credit_note:
        return _("Avoir %(number)s – %(organisation)s") % {
            "number": invoice.number,
            "organisation": invoice.organisation.name,
        }
    return _("Facture %(number)s – %(organisation)s") % {
        "number": invoice.number,
        "organisation": invoice.organisation.name,
    }


def default_body(invoice: Invoice) -> str:
    """Write the usual French cover message, worded for what is left to pay.

    An unpaid invoice gets its amount, due date and bank details; a partly
    paid one the remaining amount; a paid one thanks, without payment instructions.
    """
    document = issued_document(invoice)
    paragraphs = [_("Bonjour,"), _cover_sentence(invoice, document)]
    if invoice.balance() > 0 and document.iban:
        paragraphs.append(_bank_details(document.iban, document.bic, invoice.number))
    paragraphs.append(_portal_sentence(invoice))
    paragraphs += [
        _("Nous restons à votre disposition pour toute question."),
        _("Cordialement,") + "\n" + invoice.organisation.name,
    ]
    return "\n\n".join(paragraphs)


def _portal_sentence(invoice: Invoice) -> str:
    """Offer the customer portal; {lien} stays in the text until sending puts the link's URL there."""
    if invoice.is_credit_note:
        text = _("Vous pouvez aussi consulter et télécharger cet avoir en ligne : %(link)s")
    elif invoice.balance() > 0:
        text = _(
            "Vous pouvez aussi consulter cette facture, la télécharger et voir comment la régler en ligne : %(link)s"
        )
    else:
        text = _("Vous pouvez aussi consulter et télécharger cette facture en ligne : %(link)s")
    return text % {"link": PORTAL_LINK.tag}


def _credit_note_sentence(credit_note: Invoice, values: dict[str, str]) -> str:
    credited = credit_note.credited_invoice
    values = {**values, "invoice": credited.number if credited else ""}
    if credit_note.refund_due() > 0:
        values["refund"] = format_amount(credit_note.refund_due(), credit_note.currency)
        text = _(
            "Veuillez trouver ci-joint notre avoir %(number)s du %(date)s, d'un montant de %(amount)s TTC, "
            "sur la facture %(invoice)s. Nous vous remboursons %(refund)s."
        )
    else:
        text = _(
            "Veuillez trouver ci-joint notre avoir %(number)s du %(date)s, d'un montant de %(amount)s TTC, "
            "qui vient en déduction de la facture %(invoice)s."
        )
    return text % values


def _cover_sentence(invoice: Invoice, document: InvoiceDocument) -> str:
    values = {
        "number": invoice.number,
        "date": format_date(document.issue_date),
        "amount": format_amount(invoice.amount_due, invoice.currency),
        "due": format_date(document.due_date or document.issue_date),
        "balance": format_amount(invoice.balance(), invoice.currency),
    }
    if invoice.is_credit_note:
        return _credit_note_sentence(invoice, values)
    if invoice.is_fully_credited():
        return (
            _(
                "Veuillez trouver ci-joint notre facture %(number)s du %(date)s, d'un montant de %(amount)s TTC, "
                "annulée par avoir : vous n'avez rien à régler au titre de cette facture."
            )
            % values
        )
    if invoice.balance() <= 0:
        return (
            _(
                "Veuillez trouver ci-joint notre facture %(number)s du %(date)s, d'un montant de %(amount)s TTC, "
                "que vous avez entièrement réglée. Nous vous remercions de votre paiement."
            )
            % values
        )
    if invoice.paid_total() > 0:
        return (
            _(
                "Veuillez trouver ci-joint notre facture %(number)s du %(date)s, d'un montant de %(amount)s TTC. "
                "Compte tenu des paiements déjà reçus, le reste à payer est de %(balance)s, à régler au plus "
                "tard le %(due)s."
            )
            % values
        )
    return (
        _(
            "Veuillez trouver ci-joint notre facture %(number)s du %(date)s, d'un montant de %(amount)s TTC, "
            "à régler au plus tard le %(due)s."
        )
        % values
    )


def _bank_details(iban: str, bic: str, reference: str) -> str:
    if bic:
        return _(
            "Règlement par virement sur le compte IBAN %(iban)s (BIC %(bic)s), en indiquant la référence %(reference)s."
        ) % {"iban": format_iban(iban), "bic": bic, "reference": reference}
    return _("Règlement par virement sur le compte IBAN %(iban)s, en indiquant la référence %(reference)s.") % {
        "iban": format_iban(iban),
        "reference": reference,
    }


def send_invoice_email(
    invoice: Invoice,
    to: str | Sequence[str],
    subject: str,
    body: str,
    cc: str | Sequence[str] | None = None,
    *,
    bcc: str | Sequence[str] | None = None,
    attachment_name: str | None = None,
    user: Any = None,
    request: Any = None,
) -> OutboundEmail:
    """Send an issued invoice with its Factur-X PDF attached, and record the delivery.

    Each {lien} of ``body`` becomes the URL of the invoice's portal link, which
    is created when no usable one can be reused.

    The delivery record is written before sending, so that a crash during the
    SMTP conversation still leaves a trace. An SMTP or network failure does
    not raise: the record gets status « failed » and the server's error text.
    The attachment is named by the organisation's e-mail template unless
    ``attachment_name`` is given.
    """
    from ardoise.mailing.templating import invoice_attachment_name

    if invoice.is_draft:
        raise InvoicingError(_("Seule une facture émise peut être envoyée : émettez d'abord ce brouillon."))
    files = IssuedFile.objects.get(invoice=invoice)
    return send_pdf_email(
        invoice.organisation,
        to,
        subject,
        body,
        cc,
        bcc=bcc,
        attachment_name=attachment_name or invoice_attachment_name(invoice),
        pdf=bytes(files.pdf),
        invoice=invoice,
        audit_object=invoice,
        user=user,
        request=request,
    )


def send_pdf_email(
    organisation: Any,
    to: str | Sequence[str],
    subject: str,
    body: str,
    cc: str | Sequence[str] | None = None,
    *,
    bcc: str | Sequence[str] | None = None,
    attachment_name: str,
    pdf: bytes,
    invoice: Invoice | None = None,
    quote: Any = None,
    audit_object: Any = None,
    user: Any = None,
    request: Any = None,
) -> OutboundEmail:
    """Send a message with one PDF attached, record its delivery and write it to the audit log.

    Used for invoices and quotes, and for documents that have no portal page,
    such as a customer statement (``invoice`` and ``quote`` None). Each {lien}
    of the body of an invoice's or a quote's e-mail becomes the URL of its
    portal link. The record is written before sending, and an SMTP or network
    failure gives status « failed » instead of raising, as for invoices.
    """
    recipients, copies, blind_copies = _addresses(to), _addresses(cc), _addresses(bcc)
    if not recipients:
        raise InvoicingError(_("Indiquez l'adresse e-mail du destinataire."))
    document = invoice or quote
    if document is not None:
        from ardoise.mailing.templating import insert_portal_link

        body = insert_portal_link(document, body, user=user, request=request)

    outbound = OutboundEmail.objects.create(
        organisation=organisation,
        invoice=invoice,
        quote=quote,
        to=", ".join(recipients),
        cc=", ".join(copies),
        bcc=", ".join(blind_copies),
        subject=subject,
        body=body,
        attachment_name=attachment_name,
        created_by=user if getattr(user, "pk", None) else None,
    )

    message = _build_message(organisation, outbound, pdf)
    _deliver(outbound, message)

    action = "email.failed" if outbound.status == DeliveryStatus.FAILED else "email.sent"
    data = {"to": outbound.to, "subject": subject, "status": outbound.status, "attachment": attachment_name}
    record(organisation, action, audit_object, user=user, request=request, data=data)
    return outbound


class DeliveryError(Exception):
    """A recorded e-mail could not be delivered; ``permanent`` when the server refused it for good."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def resend_email(outbound: OutboundEmail, *, attempt: int) -> OutboundEmail:
    """Send a recorded invoice or quote e-mail (again), exactly as it was written, and record the result.

    The attachment is the PDF stored when the document was issued. The record
    is marked « queued » while the SMTP conversation runs, so that a crash
    leaves it visibly unfinished. The message keeps its Message-ID, so a mail
    client can recognise a copy that arrives twice. Raises ``DeliveryError``
    after recording a failure.
    """
    document: Any
    if outbound.invoice is not None:
        document = outbound.invoice
        pdf = bytes(IssuedFile.objects.get(invoice=document).pdf)
    elif outbound.quote is not None:
        document = outbound.quote
        pdf = document.issued_pdf()
    else:
        raise ValueError(
            "only invoice and quote e-mails can be sent again: e-mail %s has no stored attachment" % outbound.pk
        )
    outbound.status = DeliveryStatus.QUEUED
    outbound.save(update_fields=["status"])

    message = _build_message(outbound.organisation, outbound, pdf)
    error = _deliver(outbound, message)

    action = "email.failed" if error is not None else "email.sent"
    data = {
        "to": outbound.to,
        "subject": outbound.subject,
        "status": outbound.status,
        "attachment": outbound.attachment_name,
        "attempt": attempt,
    }
    record(outbound.organisation, action, document, data=data)
    if error is not None:
        raise DeliveryError(outbound.error, permanent=is_permanent(error))
    return outbound


def is_permanent(error: Exception) -> bool:
    """Tell whether the server refused the message for good: a 5xx reply to its recipients or its content.

    Connection failures, time-outs and 4xx replies are temporary. So are 5xx
    replies to the login or the sender address, which a corrected SMTP
    configuration fixes.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def _addresses(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def sender_address(organisation_name: str) -> str:
    """Return DEFAULT_FROM_EMAIL with the organisation's name as the display name."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return str(Address(display_name=organisation_name, addr_spec=address or settings.DEFAULT_FROM_EMAIL))


def message_id(outbound: OutboundEmail) -> str:
    """Return the record's own Message-ID, the same at every attempt to send it."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "localhost"
    return "<ardoise.%s.%s@%s>" % (outbound.created_at.strftime("%Y%m%d%H%M%S"), outbound.pk, domain)


def _build_message(organisation: Any, outbound: OutboundEmail, pdf: bytes) -> EmailMessage:
    """Build the message of a record; Django encodes a non-ASCII subject (RFC 2047) and file name (RFC 2231)."""
    message = EmailMessage(
        subject=outbound.subject,
        body=outbound.body,
        from_email=sender_address(organisation.name),
        to=_addresses(outbound.to),
        cc=_addresses(outbound.cc),
        bcc=_addresses(outbound.bcc),
        # Replies go to the business, not to the sending address, which may be shared by every organisation.
        reply_to=[organisation.email] if organisation.email else None,
        headers={"Message-ID": message_id(outbound)},
    )
    message.attach(outbound.attachment_name, pdf, "application/pdf")
    return message


def _deliver(outbound: OutboundEmail, message: EmailMessage) -> Exception | None:
    """Send the message and record the result on ``outbound`` and in its delivery log; return the error, if any."""
    failure: Exception | None = None
    attempted_at = timezone.now()
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        failure = error
        outbound.status = DeliveryStatus.FAILED
        outbound.error = describe_error(error)
        logger.warning(
            "e-mail failed organisation=%s email=%s error=%s",
            outbound.organisation_id,
            outbound.pk,
            outbound.error,
        )
    else:
        eml_path = getattr(message, "eml_path", "")
        outbound.status = DeliveryStatus.WRITTEN if eml_path else DeliveryStatus.SENT
        outbound.error = ""
        outbound.eml_file = eml_path
        outbound.sent_at = timezone.now()
        logger.info("e-mail %s organisation=%s email=%s", outbound.status, outbound.organisation_id, outbound.pk)
    outbound.save(update_fields=["status", "error", "eml_file", "sent_at"])
    DeliveryAttempt.objects.create(
        email=outbound, attempted_at=attempted_at, status=outbound.status, reply=outbound.error
    )
    return failure


def describe_error(error: Exception) -> str:
    """Return the server's own words for a failed delivery, e.g. "550 5.1.1 Unknown user"."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            "%s : %s %s" % (address, code, _decode(reply)) for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return "%s %s" % (error.smtp_code, _decode(error.smtp_error))
    return str(error) or error.__class__.__name__


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
