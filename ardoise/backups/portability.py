"""Export of one organisation's data as a ZIP of CSV and JSON files, and its import into another installation.

The layout is described in docs/backups.md (« Organisation export »). JSON
files hold every column of every row, so that an import recreates the data
exactly; CSV files hold the same rows for spreadsheets (UTF-8 with BOM,
semicolons, decimal commas, formulas neutralised). Issued PDFs and XML are
separate files, byte for byte as issued.

On import every row gets a new id in the target installation. The integrity
chain covers the ids, so it is rebuilt in the original order: each record is
recomputed over the imported row and its unchanged PDF and XML, and
``integrity.verify`` must pass before the import is committed.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Membership, Organisation, Role, User
from ardoise.backups.archive import application_version, unknown_migrations
from ardoise.backups.databases import applied_migrations
from ardoise.backups.errors import BackupError
from ardoise.backups.tables import decode_value, encode_value, stored_dates_kept
from ardoise.catalogue.models import Product
from ardoise.core.csvfile import write_csv
from ardoise.customers.models import Customer
from ardoise.integrity import services as integrity
from ardoise.integrity.models import ChainRecord, RecordKind
from ardoise.invoicing.models import Invoice, InvoiceLine, IssuedFile, NumberingSeries, SeriesCounter
from ardoise.payments.models import Payment, Receipt
from ardoise.quotes.models import Quote, QuoteFile, QuoteInvoice, QuoteLine, QuoteSettings
from ardoise.reports.rebuild import rebuild_all

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Part:
    """One kind of row of the export: its file stem, model, and how to select the organisation's rows."""

    name: str
    model: type[models.Model]
    lookup: str
    csv: bool = True


# An export written before quotes were exported has no quote members: importing it reads them as empty.
OPTIONAL_PARTS = {"quote_settings", "quotes", "quote_lines", "quote_invoices"}
PARTS = [
    Part("organisation", Organisation, "pk"),
    Part("series", NumberingSeries, "organisation"),
    Part("series_counters", SeriesCounter, "series__organisation"),
    Part("customers", Customer, "organisation"),
    Part("products", Product, "organisation"),
    Part("documents", Invoice, "organisation"),
    Part("document_lines", InvoiceLine, "invoice__organisation"),
    Part("receipts", Receipt, "organisation"),
    Part("payments", Payment, "organisation"),
    Part("chain", ChainRecord, "organisation"),
    Part("quote_settings", QuoteSettings, "organisation"),
    Part("quotes", Quote, "organisation"),
    Part("quote_lines", QuoteLine, "quote__organisation"),
    Part("quote_invoices", QuoteInvoice, "quote__organisation"),
]
# Binary columns are written as separate files, not in the JSON and CSV rows.
BINARY_COLUMNS = {"logo"}


def _columns(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname not in BINARY_COLUMNS]


def _rows(part: Part, organisation: Organisation) -> list[dict[str, Any]]:
    columns = _columns(part.model)
    queryset = part.model._base_manager.filter(**{part.lookup: organisation.pk}).order_by("pk")
    return [dict(zip(columns, row, strict=True)) for row in queryset.values_list(*columns)]


def document_file_name(number: str, extension: str, folder: str = "documents") -> str:
    safe = "".join(character if character.isalnum() or character in "-_." else "_" for character in number)
    return "%s/%s.%s" % (folder, safe, extension)


def quote_file_name(number: str) -> str:
    """Return the member name of an issued quote's or pro forma invoice's PDF, e.g. quotes/D-2026-0001.pdf."""
    return document_file_name(number, "pdf", folder="quotes")


def export_organisation(organisation: Organisation) -> bytes:
    """Return the ZIP export of ``organisation``."""
    members: dict[str, bytes] = {}
    counts = {}
    for part in PARTS:
        rows = _rows(part, organisation)
        counts[part.name] = len(rows)
        encoded = [{name: encode_value(value) for name, value in row.items()} for row in rows]
        members["%s.json" % part.name] = json.dumps(encoded, ensure_ascii=False, indent=1).encode("utf-8")
        if part.csv and part.name != "chain":
            columns = _columns(part.model)
            members["%s.csv" % part.name] = write_csv(columns, ([row[name] for name in columns] for row in rows))

    if organisation.logo:
        members["organisation/logo"] = bytes(organisation.logo)
    files = IssuedFile.objects.filter(invoice__organisation=organisation).select_related("invoice").order_by("pk")
    for issued in files.iterator(chunk_size=100):
        members[document_file_name(issued.invoice.number, "pdf")] = bytes(issued.pdf)
        members[document_file_name(issued.invoice.number, "xml")] = bytes(issued.xml)
    quote_files = QuoteFile.objects.filter(quote__organisation=organisation).select_related("quote").order_by("pk")
    for quote_file in quote_files.iterator(chunk_size=100):
        members[quote_file_name(quote_file.quote.number)] = bytes(quote_file.pdf)

    manifest = {
        "format": FORMAT,
        "application": "ardoise",
        "kind": "organisation-export",
        "version": application_version(),
        "exported_at": timezone.now().isoformat(),
        "organisation": {"name": organisation.name, "siren": organisation.siren},
        "migrations": applied_migrations("default"),
        "counts": counts,
        "members": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


def export_file_name(organisation: Organisation) -> str:
    return "ardoise-export-%s-%s.zip" % (organisation.siren or organisation.pk, timezone.localdate().strftime("%Y%m%d"))


# Import


@dataclass(frozen=True)
class Imported:
    organisation: Organisation
    owner: User
    password: str | None
    counts: dict[str, int]


def _read_export(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Read the ZIP and check every member's SHA-256; raise ``BackupError`` in French on any problem."""
    damaged = _("Le fichier « %(name)s » n'est pas un export Ardoise lisible (%(detail)s).")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
            members = {name: archive.read(name) for name in manifest.get("members", {})}
    except FileNotFoundError:
        raise BackupError(_("Le fichier « %(path)s » est introuvable.") % {"path": path}) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error) as error:
        raise BackupError(damaged % {"name": path.name, "detail": error}) from None
    if manifest.get("kind") != "organisation-export" or manifest.get("format") != FORMAT:
        raise BackupError(damaged % {"name": path.name, "detail": _("format inconnu")})
    for name, expected in manifest["members"].items():
        if hashlib.sha256(members[name]).hexdigest() != expected:
            raise BackupError(damaged % {"name": path.name, "detail": _("empreinte différente pour %s") % name})
    unknown = unknown_migrations(manifest)
    if unknown:
        raise BackupError(
            _(
                "L'export « %(name)s » vient d'une version plus récente d'Ardoise (migration %(migration)s inconnue "
                "ici) : mettez Ardoise à jour, puis relancez l'import."
            )
            % {"name": path.name, "migration": unknown[0]}
        )
    return manifest, members


def _owner(email: str) -> tuple[User, str | None]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    return User.objects.create_user(username=email, email=email, password=password), password


class _Loader:
    """Insert exported rows with new ids, mapping every foreign key through the ids given so far."""

    def __init__(self, owner: User) -> None:
        self.owner = owner
        self.ids: dict[type[models.Model], dict[int, int]] = {}

    def values(self, model: type[models.Model], row: dict[str, Any], **override: Any) -> dict[str, Any]:
        values = {}
        for field in model._meta.concrete_fields:
            if field.attname not in row or field.primary_key:
                continue
            value = row[field.attname]
            if field.is_relation and value is not None:
                value = self._map(model, field, value)
            values[field.attname] = decode_value(field, value)
        values.update(override)
        return values

    def _map(self, model: type[models.Model], field: Any, value: int) -> int | None:
        related = field.related_model
        if related is User:
            return self.owner.pk
        mapped = self.ids.get(related, {}).get(value)
        if mapped is None and not field.null:
            raise BackupError(
                _("Export incohérent : %(model)s renvoie vers %(related)s n° %(id)s, absent de l'export.")
                % {"model": model._meta.verbose_name, "related": related._meta.verbose_name, "id": value}
            )
        return mapped

    def insert(self, model: type[models.Model], row: dict[str, Any], **override: Any) -> models.Model:
        obj = model(**self.values(model, row, **override))
        (created,) = model._base_manager.bulk_create([obj])
        self.ids.setdefault(model, {})[row["id"]] = created.pk
        return created


def import_organisation(path: Path, owner_email: str) -> Imported:
    """Create the exported organisation in this installation, owned by ``owner_email``, in one transaction."""
    manifest, members = _read_export(path)
    rows = {part.name: _part_rows(part, members) for part in PARTS}
    (organisation_row,) = rows["organisation"]
    siren = organisation_row.get("siren")
    if siren and Organisation.objects.filter(siren=siren).exists():
        raise BackupError(
            _("Une entreprise de SIREN %(siren)s existe déjà dans cette installation : rien n'a été importé.")
            % {"siren": siren}
        )

    # Chain records are rebuilt, not copied: they get the time of the import.
    all_models = [part.model for part in PARTS if part.model is not ChainRecord]
    with transaction.atomic(), stored_dates_kept(all_models):
        owner, password = _owner(owner_email)
        loader = _Loader(owner)
        organisation = loader.insert(
            Organisation, organisation_row, credit_note_series_id=None, logo=members.get("organisation/logo")
        )
        assert isinstance(organisation, Organisation)
        for name in ("series", "series_counters", "customers", "products"):
            part = next(part for part in PARTS if part.name == name)
            for row in rows[name]:
                loader.insert(part.model, row)
        if organisation_row.get("credit_note_series_id"):
            Organisation.objects.filter(pk=organisation.pk).update(
                credit_note_series_id=loader.ids[NumberingSeries][organisation_row["credit_note_series_id"]]
            )
        _insert_documents(loader, rows, members)
        _insert_quotes(loader, rows, members)
        for row in rows["receipts"]:
            loader.insert(Receipt, row)
        for row in rows["payments"]:
            loader.insert(Payment, row)
        # The bulk inserts send no post_save signal, so the report tables are rebuilt here.
        rebuild_all(organisation)
        _rebuild_chain(loader, organisation, rows["chain"])
        Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)

        result = integrity.verify(organisation)
        if not result.ok:
            assert result.failure is not None
            raise BackupError(
                _("L'import a été annulé : la chaîne d'intégrité ne se vérifie pas. %(failure)s")
                % {"failure": result.failure.message}
            )
    organisation.refresh_from_db()
    return Imported(organisation, owner, password, manifest["counts"])


def _part_rows(part: Part, members: dict[str, bytes]) -> list[dict[str, Any]]:
    member = "%s.json" % part.name
    if member not in members and part.name in OPTIONAL_PARTS:
        return []
    rows: list[dict[str, Any]] = json.loads(members[member])
    return rows


def _insert_documents(loader: _Loader, rows: dict[str, list[dict[str, Any]]], members: dict[str, bytes]) -> None:
    """Insert documents as drafts, then their lines and files, then give them back their number and status.

    The database refuses a line added to an issued document, and a draft must
    have no number: inserting each document as a draft and updating it last
    respects both rules.
    """
    issued: dict[int, dict[str, Any]] = {}
    for row in rows["documents"]:
        created = loader.insert(Invoice, row, status="draft", number="")
        if row["status"] != "draft":
            issued[created.pk] = row
    lines = sorted(rows["document_lines"], key=lambda row: row["id"])
    for row in lines:
        loader.insert(InvoiceLine, row)
    for invoice_id, row in issued.items():
        IssuedFile.objects.create(
            invoice_id=invoice_id,
            pdf=members[document_file_name(row["number"], "pdf")],
            xml=members[document_file_name(row["number"], "xml")],
        )
        Invoice.objects.filter(pk=invoice_id).update(status=row["status"], number=row["number"])


def _insert_quotes(loader: _Loader, rows: dict[str, list[dict[str, Any]]], members: dict[str, bytes]) -> None:
    """Insert quotes as drafts, then their lines and PDFs, then give them back their number and status.

    The database refuses a line added to an issued quote, as for invoices.
    Quotes are inserted in id order, so the quote a revision or a copy points
    to already has its new id. Each PDF must still match the SHA-256 stored
    at issue. The links to invoices come last, once both sides exist.
    """
    for row in rows["quote_settings"]:
        loader.insert(QuoteSettings, row)
    issued: dict[int, dict[str, Any]] = {}
    for row in sorted(rows["quotes"], key=lambda row: row["id"]):
        created = loader.insert(Quote, row, status="draft", number="")
        if row["status"] != "draft":
            issued[created.pk] = row
    for row in sorted(rows["quote_lines"], key=lambda row: row["id"]):
        loader.insert(QuoteLine, row)
    for quote_id, row in issued.items():
        pdf = members.get(quote_file_name(row["number"]))
        if pdf is None or hashlib.sha256(pdf).hexdigest() != row["pdf_sha256"]:
            raise BackupError(
                _("Le PDF du devis %(number)s manque ou diffère de celui qui a été émis : rien n'a été importé.")
                % {"number": row["number"]}
            )
        QuoteFile.objects.create(quote_id=quote_id, pdf=pdf)
        Quote.objects.filter(pk=quote_id).update(status=row["status"], number=row["number"])
    for row in sorted(rows["quote_invoices"], key=lambda row: row["id"]):
        loader.insert(QuoteInvoice, row)


def _rebuild_chain(loader: _Loader, organisation: Organisation, chain: list[dict[str, Any]]) -> None:
    """Chain the imported documents, receipts and payments in their original order, over their new ids."""
    for record in sorted(chain, key=lambda row: row["sequence"]):
        if record["kind"] in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE):
            invoice = Invoice.objects.get(pk=loader.ids[Invoice][record["invoice_id"]])
            files = IssuedFile.objects.get(invoice=invoice)
            appended = integrity.append_invoice(invoice, files)
            if appended.pdf_sha256 != record["pdf_sha256"] or appended.xml_sha256 != record["xml_sha256"]:
                raise BackupError(
                    _("Le PDF ou le XML de %(number)s diffère de celui qui a été émis : rien n'a été importé.")
                    % {"number": invoice.number}
                )
        elif record["kind"] == RecordKind.PAYMENT:
            integrity.append_payment(Payment.objects.get(pk=loader.ids[Payment][record["payment_id"]]))
        else:
            integrity.append_receipt(Receipt.objects.get(pk=loader.ids[Receipt][record["receipt_id"]]))
