"""The « Sauvegardes » page, for owners: the backups log, « Sauvegarder maintenant », downloads and the data export.

Backups hold every organisation of the installation, so only owners see them.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ardoise.accounts.models import Organisation
from ardoise.accounts.views import is_owner, owns_current_organisation
from ardoise.audit.services import record
from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.backups.services import backup_state, run_backup
from ardoise.core.views import current_organisation

PAGE_SIZE = 25


def _require_owner(request: HttpRequest) -> None:
    if not is_owner(request.user, current_organisation(request)):
        raise PermissionDenied(_("Seuls les propriétaires de l'entreprise ont accès aux sauvegardes."))


def may_manage_backups(request: HttpRequest) -> bool:
    """Tell whether the user may see and take installation backups, which hold every organisation.

    On an installation of one organisation, its owners may. When several
    organisations share the installation, only its superusers may: an owner of
    one organisation must never download the others' data.
    """
    if request.user.is_superuser:
        return True
    return owns_current_organisation(request) and Organisation.objects.count() == 1


def _require_backup_manager(request: HttpRequest) -> None:
    _require_owner(request)
    if not may_manage_backups(request):
        raise PermissionDenied(
            _(
                "Cette installation héberge plusieurs entreprises et ses sauvegardes les contiennent toutes : "
                "seuls ses administrateurs y ont accès. Vous pouvez exporter les données de votre entreprise."
            )
        )


@require_GET
def backup_list(request: HttpRequest) -> HttpResponse:
    _require_backup_manager(request)
    last_success, warning = backup_state()
    context = {
        "last_success": last_success,
        "warning": warning,
        "page": Paginator(BackupRun.objects.order_by("-started_at", "-id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "backups/list.html", context)


@require_POST
def backup_now(request: HttpRequest) -> HttpResponse:
    """Back up the installation during the request.

    NOTE: a large installation takes minutes to back up (see docs/benchmarks.md);
    the request waits for it, and a proxy with a shorter timeout cuts the page
    but not the backup.
    """
    _require_backup_manager(request)
    run = run_backup(BackupKind.MANUAL)
    record(current_organisation(request), "backup.created", None, request=request, data={"file": run.filename})
    if run.status == BackupStatus.FAILED:
        messages.error(request, _("La sauvegarde a échoué : %(error)s") % {"error": run.error})
    else:
        messages.success(request, _("Sauvegarde écrite : %(name)s.") % {"name": run.filename})
    return redirect("backups:list")


@require_GET
def backup_download(request: HttpRequest, pk: int) -> FileResponse:
    if not may_manage_backups(request):
        raise Http404
    run = get_object_or_404(BackupRun, pk=pk, status=BackupStatus.SUCCEEDED)
    path = Path(run.path)
    if not path.is_file():
        raise Http404(_("Cette archive n'existe plus : elle a été supprimée par la rotation des sauvegardes."))
    record(current_organisation(request), "backup.downloaded", None, request=request, data={"file": run.filename})
    # FileResponse closes the file once the response is sent.
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, path.name) or "attachment"
    return response


def backup_age_context(request: HttpRequest) -> dict[str, object]:
    """Return what the dashboard shows an owner about backups: the last success and any warning."""
    if not may_manage_backups(request):
        return {}
    last, warning = backup_state()
    return {
        "backup_card": True,
        "backup_last_success": last,
        "backup_age": timezone.now() - last.finished_at if last and last.finished_at else None,
        "backup_warning": warning,
    }


@require_GET
def organisation_export(request: HttpRequest) -> HttpResponse:
    """Download the current organisation's data as a ZIP of CSV and JSON files."""
    from ardoise.backups.portability import export_file_name, export_organisation

    _require_owner(request)
    organisation = current_organisation(request)
    data = export_organisation(organisation)
    filename = export_file_name(organisation)
    record(organisation, "organisation.exported", None, request=request, data={"file": filename})
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response
