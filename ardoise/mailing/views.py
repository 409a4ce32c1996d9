"""E-mail screens: sending an invoice, the outbox and one message as it was sent."""

from __future__ import annotations

import email
import email.policy
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ardoise.core.views import get_scoped_or_404, scoped
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.views import get_invoice_or_404, render_invoice_page
from ardoise.jobs.models import JobUnit
from ardoise.mailing.forms import InvoiceEmailForm
from ardoise.mailing.models import DeliveryStatus, Origin, OutboundEmail
from ardoise.mailing.services import send_invoice_email
from ardoise.mailing.tasks import RETRY_FAILED_EMAILS, SEND_ISSUED_INVOICES, retry_key, send_key

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
# The headers shown, with the labels a French user reads.
HEADERS_SHOWN = (
    ("From", gettext_lazy("De")),
    ("To", gettext_lazy("À")),
    ("Cc", gettext_lazy("Copie à")),
    ("Reply-To", gettext_lazy("Répondre à")),
    ("Subject", gettext_lazy("Objet")),
)


@require_POST
def email_send(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = get_invoice_or_404(request, invoice_pk)
    if invoice.is_draft:
        messages.error(request, _("Seule une facture émise peut être envoyée : émettez d'abord ce brouillon."))
        return redirect(invoice)

    form = InvoiceEmailForm(request.POST)
    if not form.is_valid():
        # The form sits at the bottom of a long page, so the banner at the top repeats that nothing was sent.
        messages.error(
            request, _("L'e-mail n'a pas été envoyé : corrigez les champs signalés dans « Envoyer par e-mail ».")
        )
        return render_invoice_page(request, invoice, email_form=form)
    data = form.cleaned_data
    try:
        outbound = send_invoice_email(
            invoice,
            data["to"],
            data["subject"],
            data["body"],
            cc=data["cc"],
            bcc=data["bcc"],
            user=request.user,
            request=request,
        )
    except InvoicingError as error:
        return _refuse_send(request, invoice, form, error.message)
    if outbound.status == DeliveryStatus.FAILED:
        reason = _(
            "L'e-mail n'a pas pu être envoyé. Réponse du serveur : %(reason)s. "
            "Vérifiez l'adresse et les réglages d'envoi, puis réessayez."
        ) % {"reason": outbound.error}
        return _refuse_send(request, invoice, form, reason)
    if outbound.status == DeliveryStatus.SENT:
        messages.success(request, _("La facture a été envoyée à %(to)s.") % {"to": outbound.to})
    # A message written to the local outbox is explained on the message page it redirects to.
    return redirect(outbound)


def _refuse_send(request: HttpRequest, invoice: Invoice, form: InvoiceEmailForm, reason: str) -> HttpResponse:
    """Show why nothing was sent, at the top of the invoice page and in the form, which keeps what was typed."""
    messages.error(request, reason)
    form.add_error(None, reason)
    return render_invoice_page(request, invoice, email_form=form)


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    emails = scoped(request, OutboundEmail).select_related("invoice").order_by("-created_at", "-id")
    page = Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "mailing/outbox.html", {"page": page})


@dataclass
class StoredMessage:
    """A sent message as read back from its .eml file: decoded headers, text body and attachment names."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    attachments: list[str] = field(default_factory=list)


@require_GET
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    outbound = get_scoped_or_404(request, OutboundEmail, pk=pk)
    stored = read_eml(outbound.eml_file) if outbound.eml_file else None
    # The unit of the job that sends this e-mail: at issue for an automatic one, else once a sweep found it failed.
    if outbound.origin == Origin.AUTOMATIC:
        unit_key = JobUnit.objects.filter(job=SEND_ISSUED_INVOICES.name, key=send_key(outbound.invoice_id or 0))
    else:
        unit_key = JobUnit.objects.filter(job=RETRY_FAILED_EMAILS.name, key=retry_key(outbound))
    context = {"email": outbound, "stored": stored, "retry": unit_key.first(), "attempts": outbound.attempts.all()}
    return render(request, "mailing/detail.html", context)


def read_eml(path: str) -> StoredMessage | None:
    """Parse an .eml file of the outbox; None if it is missing, unreadable or outside the outbox."""
    outbox_dir = Path(settings.EMAIL_OUTBOX_DIR).resolve()
    file = Path(path).resolve()
    if not file.is_relative_to(outbox_dir) or not file.is_file():
        return None
    try:
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    except OSError as error:
        logger.warning("cannot read outbox file path=%s error=%s", file, error)
        return None
    body_part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return StoredMessage(
        headers=[(str(label), str(message[name])) for name, label in HEADERS_SHOWN if message[name]],
        body=body_part.get_content() if body_part is not None else "",
        attachments=[part.get_filename() or "" for part in message.iter_attachments()],  # type: ignore[attr-defined]
    )
