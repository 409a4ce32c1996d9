"""E-mail template screens: the list of kinds, and the editor with its preview."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounts.views import is_owner
from ardoise.audit.services import record
from ardoise.core.views import current_organisation
from ardoise.mailing.forms import SAMPLE, EmailTemplateForm
from ardoise.mailing.models import EmailTemplate
from ardoise.mailing.templating import KINDS, TemplateKind


@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    written = {template.kind: template for template in EmailTemplate.objects.filter(organisation=organisation)}
    rows = [(kind, written.get(kind.name)) for kind in KINDS.values()]
    return render(request, "mailing/template_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind_name: str) -> HttpResponse:
    """Edit one kind's template: « Prévisualiser » renders it without saving, and « Enregistrer » saves it."""
    organisation = current_organisation(request)
    kind = _kind_or_404(kind_name)
    template = EmailTemplate.objects.filter(organisation=organisation, kind=kind.name).first()
    can_edit = is_owner(request.user, organisation)

    if request.method == "GET":
        form = EmailTemplateForm(initial=_initial(kind, template), kind=kind, organisation=organisation)
        return _render_editor(request, kind, template, form, preview=None, can_edit=can_edit)

    form = EmailTemplateForm(request.POST, kind=kind, organisation=organisation)
    saving = request.POST.get("action") == "save"
    if saving and not can_edit:
        messages.error(request, _("Seul un propriétaire de l'entreprise peut modifier les modèles d'e-mails."))
        return _render_editor(request, kind, template, form, preview=form.preview(), can_edit=False, status=403)
    if saving and form.is_valid():
        _save(request, kind, form)
        messages.success(request, _("Le modèle « %(kind)s » a été enregistré.") % {"kind": kind.label})
        return redirect("mailing:template_edit", kind_name=kind.name)
    status = 200 if form.is_valid() else 400
    return _render_editor(request, kind, template, form, preview=form.preview(), can_edit=can_edit, status=status)


@require_POST
def template_reset(request: HttpRequest, kind_name: str) -> HttpResponse:
    """Delete the organisation's template, so that Ardoise writes its default message again."""
    organisation = current_organisation(request)
    kind = _kind_or_404(kind_name)
    if not is_owner(request.user, organisation):
        messages.error(request, _("Seul un propriétaire de l'entreprise peut modifier les modèles d'e-mails."))
        return redirect("mailing:template_edit", kind_name=kind.name)
    with transaction.atomic():
        deleted, _details = EmailTemplate.objects.filter(organisation=organisation, kind=kind.name).delete()
        if deleted:
            record(organisation, "email.template_reset", request=request, data={"kind": str(kind.label)})
    messages.success(
        request, _("Le modèle « %(kind)s » reprend le message par défaut d'Ardoise.") % {"kind": kind.label}
    )
    return redirect("mailing:template_edit", kind_name=kind.name)


def _kind_or_404(name: str) -> TemplateKind:
    kind = KINDS.get(name)
    if kind is None:
        raise Http404
    return kind


def _initial(kind: TemplateKind, template: EmailTemplate | None) -> dict[str, str]:
    if template is not None:
        texts = {"subject": template.subject, "body": template.body, "attachment_name": template.attachment_name}
    else:
        texts = {
            "subject": str(kind.default_subject),
            "body": str(kind.default_body),
            "attachment_name": str(kind.default_attachment_name),
        }
    return {**texts, "preview_on": SAMPLE}


def _save(request: HttpRequest, kind: TemplateKind, form: EmailTemplateForm) -> None:
    organisation = current_organisation(request)
    data = form.cleaned_data
    with transaction.atomic():
        template, _created = EmailTemplate.objects.update_or_create(
            organisation=organisation,
            kind=kind.name,
            defaults={
                "subject": data["subject"],
                "body": data["body"],
                "attachment_name": data["attachment_name"],
                "updated_by": request.user if request.user.is_authenticated else None,
            },
        )
        record(
            organisation,
            "email.template_updated",
            template,
            request=request,
            data={"kind": str(kind.label), "subject": data["subject"]},
        )


def _render_editor(
    request: HttpRequest,
    kind: TemplateKind,
    template: EmailTemplate | None,
    form: EmailTemplateForm,
    *,
    preview: object,
    can_edit: bool,
    status: int = 200,
) -> HttpResponse:
    context = {"kind": kind, "template": template, "form": form, "preview": preview, "can_edit": can_edit}
    return render(request, "mailing/template_edit.html", context, status=status)
