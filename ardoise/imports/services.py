"""Check every row of an uploaded file, then create the records, all or only the valid ones, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.audit.services import record
from ardoise.imports.tables import Table
from ardoise.imports.targets import Target, plain

logger = logging.getLogger(__name__)

# The preview shows this many rows; the error list shows every row in error.
PREVIEW_ROWS = 20


class ImportRejected(Exception):
    """An import that would leave out rows in error without the user's consent, or that maps no name."""


@dataclass
class RowResult:
    """One row of the file: its line, the values it gives each field, and what is wrong with it in French."""

    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    form: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Analysis:
    rows: list[RowResult]
    missing_columns: list[str]

    @property
    def valid(self) -> list[RowResult]:
        return [row for row in self.rows if row.ok]

    @property
    def invalid(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def preview(self) -> list[RowResult]:
        return self.rows[:PREVIEW_ROWS]


def analyse(organisation: Any, target: Target, table: Table, mapping: dict[str, int | None]) -> Analysis:
    """Validate each row with the target's form and flag duplicates, within the file and with existing records."""
    missing = [str(column.label) for column in target.columns if column.required and mapping.get(column.name) is None]
    if missing:
        return Analysis(rows=[], missing_columns=missing)

    existing = _existing_identities(organisation, target)
    seen: dict[tuple[str, str], int] = {}
    rows = []
    for line, cells in table.rows:
        values = {
            column.name: table.cell(cells, mapping.get(column.name))
            for column in target.columns
            if mapping.get(column.name) is not None
        }
        result = RowResult(line=line, values=values)
        data = dict(target.defaults)
        for name, raw in values.items():
            if not raw and name in target.defaults:
                continue
            convert = target.converters.get(name)
            data[name] = convert(raw) if convert and raw else raw
        result.form = target.form(data, organisation)
        if not result.form.is_valid():
            result.errors.extend(_form_errors(target, result.form, values))
        else:
            _check_duplicates(target, result, seen, existing)
        rows.append(result)
    return Analysis(rows=rows, missing_columns=[])


def import_rows(
    organisation: Any,
    target: Target,
    table: Table,
    mapping: dict[str, int | None],
    *,
    only_valid: bool,
    filename: str,
    user: Any = None,
    request: Any = None,
    source: str | None = None,
) -> int:
    """Create the records of the valid rows and return how many; refuse rows in error unless ``only_valid``."""
    with transaction.atomic():
        analysis = analyse(organisation, target, table, mapping)
        if analysis.missing_columns:
            raise ImportRejected(
                _("Choisissez la colonne de : %(columns)s.") % {"columns": ", ".join(analysis.missing_columns)}
            )
        if analysis.invalid and not only_valid:
            raise ImportRejected(
                ngettext(
                    "%(count)d ligne comporte une erreur : corrigez le fichier, ou importez seulement "
                    "les lignes valides.",
                    "%(count)d lignes comportent une erreur : corrigez le fichier, ou importez seulement les lignes "
                    "valides.",
                    len(analysis.invalid),
                )
                % {"count": len(analysis.invalid)}
            )
        for row in analysis.valid:
            instance = row.form.save(commit=False)
            instance.organisation = organisation
            instance.save()
        extra = {"source": source} if source else {}
        record(
            organisation,
            target.audit_action,
            user=user,
            request=request,
            data={"file": filename, "created": len(analysis.valid), "skipped": len(analysis.invalid)},
            **extra,
        )
    logger.info(
        "import done organisation=%s kind=%s created=%s skipped=%s",
        organisation.pk,
        target.kind,
        len(analysis.valid),
        len(analysis.invalid),
    )
    return len(analysis.valid)


def _form_errors(target: Target, form: Any, values: dict[str, str]) -> list[str]:
    """Name the column and the value of each error, as the user sees them in the file."""
    labels = {column.name: column.label for column in target.columns}
    messages = []
    for name, errors in form.errors.items():
        for error in errors:
            value = values.get(name, "")
            if name not in labels:
                messages.append(str(error))
            elif value:
                messages.append(
                    _("%(column)s « %(value)s » : %(error)s") % {"column": labels[name], "value": value, "error": error}
                )
            else:
                messages.append(_("%(column)s : %(error)s") % {"column": labels[name], "error": error})
    return messages


def _identity_values(target: Target, values: dict[str, Any]) -> list[tuple[str, str]]:
    keys = []
    for name in target.identity:
        value = values.get(name)
        if value:
            keys.append((name, plain(str(value)) if name == "name" else str(value)))
    return keys


def _existing_identities(organisation: Any, target: Target) -> dict[tuple[str, str], str]:
    """Map each identifying value of the organisation's records to the record's name."""
    existing: dict[tuple[str, str], str] = {}
    rows = target.model._default_manager.filter(organisation=organisation).values(*target.identity)
    for row in rows:
        for key in _identity_values(target, row):
            existing.setdefault(key, row["name"])
    return existing


def _check_duplicates(
    target: Target, result: RowResult, seen: dict[tuple[str, str], int], existing: dict[tuple[str, str], str]
) -> None:
    labels = {name: str(target.column(name).label) for name in target.identity}
    # Only the first identifier the row has counts: two establishments of one company share a SIREN, not a SIRET.
    keys = _identity_values(target, result.form.cleaned_data)[:1]
    for key in keys:
        name, value = key
        typed = result.form.cleaned_data.get(name) or value
        if key in existing:
            result.errors.append(
                _("%(label)s « %(value)s » déjà présent dans Ardoise (« %(record)s ») : ligne ignorée.")
                % {"label": labels[name], "value": typed, "record": existing[key]}
            )
        elif key in seen:
            result.errors.append(
                _("Doublon de la ligne %(line)s (même %(label)s « %(value)s ») : ligne ignorée.")
                % {"line": seen[key], "label": labels[name], "value": typed}
            )
        else:
            seen[key] = result.line
