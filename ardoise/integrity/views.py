"""The « Contrôle d'intégrité » page and its PDF attestation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ardoise.core.views import current_organisation
from ardoise.integrity.attestation import render_attestation
from ardoise.integrity.services import verify


@require_GET
def integrity_check(request: HttpRequest) -> HttpResponse:
    """Recompute the organisation's chain and show the result, naming the first record that fails."""
    result = verify(current_organisation(request))
    failed_invoice_url = None
    if result.failure is not None and result.failure.invoice_id:
        failed_invoice_url = reverse("invoicing:detail", args=[result.failure.invoice_id])
    context = {"result": result, "failed_invoice_url": failed_invoice_url}
    return render(request, "integrity/check.html", context)


@require_GET
def integrity_attestation(request: HttpRequest) -> HttpResponse:
    """Recompute the chain and return the attestation of this check as a PDF download."""
    result = verify(current_organisation(request))
    pdf = render_attestation(result)
    stamp = timezone.localtime(result.checked_at).strftime("%Y-%m-%d-%H%M%S")
    filename = _("attestation-integrite-%(stamp)s.pdf") % {"stamp": stamp}
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response
