"""The API token page of the organisation, for its owners: create, list and revoke tokens."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.accounts.views import is_owner
from ardoise.api.forms import TokenForm
from ardoise.api.models import ApiToken
from ardoise.api.tokens import create_token, revoke_token
from ardoise.core.views import current_organisation, get_scoped_or_404


def _refuse_member(request: HttpRequest) -> HttpResponse:
    return render(request, "api/tokens_forbidden.html", status=403)


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    if not is_owner(request.user, organisation):
        return _refuse_member(request)

    form = TokenForm(request.POST if request.method == "POST" else None)
    new_secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created = create_token(
                organisation, data["name"], data["scope"], data["expires_on"], user=request.user, request=request
            )
            # The secret is in this response only: it is not stored and is never shown again.
            new_secret = created.secret
            messages.success(request, _("Le jeton « %(name)s » a été créé.") % {"name": created.token.name})
            form = TokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "new_secret": new_secret,
        "tokens": ApiToken.objects.filter(organisation=organisation).select_related("created_by"),
    }
    response = render(request, "api/tokens.html", context, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Another organisation's token is a 404 before the role check, as for every object URL.
    token = get_scoped_or_404(request, ApiToken, pk=pk)
    if not is_owner(request.user, current_organisation(request)):
        return _refuse_member(request)
    revoke_token(token, user=request.user, request=request)
    messages.success(
        request,
        _("Le jeton « %(name)s » est révoqué : les programmes qui l'utilisent n'ont plus accès.")
        % {"name": token.name},
    )
    return redirect("api_tokens:list")
