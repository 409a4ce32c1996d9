"""The organisation profile: legal details, bank details, defaults and logo."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from ardoise.accounts.forms import LOGO_CONTENT_TYPES, PROFILE_SECTIONS, OrganisationForm
from ardoise.accounts.models import Organisation, Role
from ardoise.audit.services import form_changes, record
from ardoise.core.formats import format_amount, format_iban, format_rate
from ardoise.core.forms import country_name
from ardoise.core.payment_terms import PaymentTermError
from ardoise.core.payment_terms import describe as describe_term
from ardoise.core.views import current_organisation


@require_http_methods(["GET", "POST"])
def organisation_profile(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    if not is_owner(request.user, organisation):
        return _read_only_profile(request, organisation)

    # The form edits a fresh copy, so that an invalid submission never shows up
    # in the rest of the page through request.organisation.
    form = OrganisationForm(
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        instance=Organisation.objects.get(pk=organisation.pk),
    )
    if request.method == "POST" and form.is_valid():
        _save_profile(request, form)
        return redirect("accounts:organisation")

    sections = [(title, [form[name] for name in names]) for title, names in PROFILE_SECTIONS]
    return render(request, "accounts/organisation.html", _page_context(organisation, form=form, sections=sections))


@require_GET
def organisation_logo(request: HttpRequest) -> HttpResponse:
    """Serve the logo of the user's own organisation.

    The URL carries no id, so no other organisation's logo can be requested.
    """
    organisation = current_organisation(request)
    content_type = organisation.logo_content_type
    if not organisation.logo or content_type not in LOGO_CONTENT_TYPES.values():
        raise Http404
    response = HttpResponse(bytes(organisation.logo), content_type=content_type)
    extension = "png" if content_type == "image/png" else "jpg"
    response["Content-Disposition"] = f'inline; filename="logo.{extension}"'
    # The page links to the logo with its hash in the URL, so a new logo gets a new URL.
    response["Cache-Control"] = "private, max-age=86400"
    return response


def is_owner(user: Any, organisation: Organisation) -> bool:
    return organisation.memberships.filter(user=user, role=Role.OWNER).exists()


def owns_current_organisation(request: HttpRequest) -> bool:
    """Return whether the user is an owner of the organisation they work in.

    The middleware stored that membership, so its role gives the result without
    a query, however many parts of a page check it. Requests authenticated
    another way (an API token) have no membership and query the database.
    """
    organisation = getattr(request, "organisation", None)
    if organisation is None or not request.user.is_authenticated:
        return False
    membership = getattr(request, "membership", None)
    if membership is not None and membership.organisation_id == organisation.pk:
        return membership.role == Role.OWNER
    return is_owner(request.user, organisation)


def _save_profile(request: HttpRequest, form: OrganisationForm) -> None:
    if not form.has_changed():
        messages.info(request, _("Aucune modification à enregistrer."))
        return
    with transaction.atomic():
        organisation = form.save()
        record(
            organisation, "organisation.updated", organisation, request=request, data={"changes": form_changes(form)}
        )
    messages.success(request, _("Les informations de l'entreprise ont été enregistrées."))


def _read_only_profile(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    status = 200
    if request.method == "POST":
        messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent modifier ces informations."))
        status = 403
    form = OrganisationForm(instance=organisation)
    sections = [
        (title, [(form[name].label, _display_value(organisation, name)) for name in names])
        for title, names in PROFILE_SECTIONS
    ]
    context = _page_context(organisation, form=None, sections=sections)
    return render(request, "accounts/organisation.html", context, status=status)


def _page_context(organisation: Organisation, **extra: Any) -> dict[str, Any]:
    logo_version = hashlib.sha256(bytes(organisation.logo)).hexdigest()[:12] if organisation.logo else ""
    return {"can_edit": extra.get("form") is not None, "logo_version": logo_version, **extra}


def _display_value(organisation: Organisation, name: str) -> str:
    """Return a profile field as the read-only page shows it, or "" when it is empty."""
    value = getattr(organisation, name)
    if name == "share_capital":
        return format_amount(value) if value is not None else ""
    if name == "iban":
        return format_iban(value) if value else ""
    if name == "country_code":
        return country_name(value)
    if name == "vat_regime":
        return organisation.get_vat_regime_display()
    if name == "vat_exemption":
        return organisation.get_vat_exemption_display() if value else ""
    if name == "vat_on_debits":
        return _("Oui") if value else _("Non")
    if name == "payment_terms_kind":
        try:
            return describe_term(organisation.payment_term())
        except PaymentTermError as error:
            return error.message
    if name == "late_penalty_rate":
        return format_rate(value) if value is not None else _("Taux BCE majoré de 10 points")
    if name == "payment_installments":
        return value
    if name == "payment_terms_days":
        if organisation.payment_terms_kind in ("on_receipt", "installments"):
            return ""
        if value == 0:
            return _("À réception")
        return ngettext("%(days)s jour", "%(days)s jours", value) % {"days": value}
    return str(value or "")
