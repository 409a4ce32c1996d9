"""Import customers or products from a file: upload, choose the columns and check, then confirm."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ardoise.core.views import current_organisation, get_scoped_or_404
from ardoise.imports.forms import MappingForm, UploadForm
from ardoise.imports.models import ImportBatch
from ardoise.imports.services import ImportRejected, analyse, import_rows
from ardoise.imports.tables import TableFileError, read_table
from ardoise.imports.targets import TARGETS, Target, guess_mapping

# Batches left behind (the user closed the page) are deleted after this long.
BATCH_LIFETIME = datetime.timedelta(days=1)
# The page lists at most this many rows in error; the count gives the rest.
LISTED_ERRORS = 200
LIST_URLS = {"clients": "customers:list", "articles": "catalogue:list"}


def _target(kind: str) -> Target:
    try:
        return TARGETS[kind]
    except KeyError:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    target = _target(kind)
    organisation = current_organisation(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        data = upload_file.read()
        try:
            table = read_table(data, upload_file.name)
        except TableFileError as error:
            form.add_error("file", str(error))
        else:
            ImportBatch.objects.filter(
                organisation=organisation, created_at__lt=timezone.now() - BATCH_LIFETIME
            ).delete()
            batch = ImportBatch.objects.create(
                organisation=organisation,
                kind=target.kind,
                filename=upload_file.name[:255],
                data=data,
                mapping=guess_mapping(target, table.header),
                created_by=request.user,
            )
            return redirect("imports:batch", pk=batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/upload.html", {"form": form, "target": target}, status=status)


@require_http_methods(["GET", "POST"])
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = current_organisation(request)
    current = get_scoped_or_404(request, ImportBatch, pk=pk)
    target = _target(current.kind)
    table = read_table(bytes(current.data), current.filename)

    initial = {name: "" if index is None else str(index) for name, index in current.mapping.items()}
    form = MappingForm(request.POST or None, target=target, header=table.header, initial=initial)
    mapping = {name: current.mapping.get(name) for name in (column.name for column in target.columns)}
    status = 200

    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            mapping = form.mapping()
            current.mapping = mapping
            current.save(update_fields=["mapping"])
            action = request.POST.get("action")
            if action in ("import", "import_valid"):
                response = _import(request, current, target, table, mapping, only_valid=action == "import_valid")
                if response is not None:
                    return response
                status = 400

    analysis = analyse(organisation, target, table, mapping)
    columns = [column for column in target.columns if mapping.get(column.name) is not None]
    context: dict[str, Any] = {
        "batch": current,
        "target": target,
        "form": form,
        "analysis": analysis,
        "columns": columns,
        "preview": [(row, [row.values.get(column.name, "") for column in columns]) for row in analysis.preview],
        "listed_errors": analysis.invalid[:LISTED_ERRORS],
        "unlisted_errors": max(0, len(analysis.invalid) - LISTED_ERRORS),
    }
    return render(request, "imports/batch.html", context, status=status)


def _import(
    request: HttpRequest,
    current: ImportBatch,
    target: Target,
    table: Any,
    mapping: dict[str, int | None],
    *,
    only_valid: bool,
) -> HttpResponse | None:
    try:
        created = import_rows(
            current.organisation,
            target,
            table,
            mapping,
            only_valid=only_valid,
            filename=current.filename,
            request=request,
        )
    except ImportRejected as error:
        messages.error(request, str(error))
        return None
    current.delete()
    messages.success(
        request,
        ngettext(
            "%(count)d fiche importée depuis « %(name)s ».",
            "%(count)d fiches importées depuis « %(name)s ».",
            created,
        )
        % {"count": created, "name": current.filename},
    )
    return redirect(LIST_URLS[target.kind])
