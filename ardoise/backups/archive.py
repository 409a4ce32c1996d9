"""Writing and reading backup archives.

An archive is a gzip-compressed tar file, optionally encrypted (see
``ardoise.backups.crypto``), holding:

- ``manifest.json``: format, application version, engine, creation time,
  schema (applied migrations per app), row count per table, and the SHA-256
  and size of every other member;
- ``database.sqlite3`` (SQLite online backup) or ``database.pgdump``
  (``pg_dump --format=custom``);
- ``tables/<table>.jsonl``: the same snapshot, one JSON object per row, which
  any engine can load;
- ``media/…``: the files under MEDIA_ROOT. Issued PDFs and XML, logos and
  imported statements are stored in the database, so they are in the two
  copies above.

The archive is written under a hidden temporary name and renamed at the end,
so a backup killed halfway never leaves a file that looks like an archive.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.backups import crypto, tables
from ardoise.backups.databases import (
    applied_migrations,
    copy_sqlite,
    engine,
    pg_dump,
    postgresql_alias,
    sqlite_alias,
)
from ardoise.backups.errors import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
TABLES_FOLDER = "tables"
MEDIA_FOLDER = "media"
SUFFIX = ".tar.gz"
ENCRYPTED_SUFFIX = ".tar.gz.enc"
# Finished archives only: the temporary files of a running or killed backup start with a dot.
ARCHIVE_NAME = re.compile(r"^ardoise-backup-(\d{8})-(\d{6})(?:-\d+)?\.tar\.gz(?:\.enc)?$")
TEMPORARY_PREFIX = ".ardoise-backup-"
HASH_BLOCK = 1024 * 1024


def application_version() -> str:
    try:
        return metadata.version("ardoise")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    manifest: dict[str, Any]


def archive_name(moment: datetime.datetime, encrypted: bool) -> str:
    local = timezone.localtime(moment)
    return "ardoise-backup-%s%s" % (local.strftime("%Y%m%d-%H%M%S"), ENCRYPTED_SUFFIX if encrypted else SUFFIX)


def _free_name(folder: Path, name: str) -> Path:
    """Return ``folder/name``, or ``…-2``, ``…-3`` when two backups start in the same second."""
    path = folder / name
    counter = 2
    while path.exists():
        stem, _dot, suffix = name.partition(".")
        path = folder / ("%s-%s.%s" % (stem, counter, suffix))
        counter += 1
    return path


def create_archive(folder: Path, passphrase: str | None = None) -> Written:
    """Write a backup archive of the whole installation into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    staging = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=folder))
    try:
        content = staging / "content"
        content.mkdir()
        snapshot = _snapshot_database(content)
        _copy_media(content / MEDIA_FOLDER)
        manifest = _manifest(content, snapshot, started)
        (content / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")

        packed = staging / "archive.tar.gz"
        _pack(content, packed, manifest)
        if passphrase:
            sealed = staging / "archive.tar.gz.enc"
            with open(packed, "rb") as source, open(sealed, "wb") as target:
                crypto.encrypt_file(source, target, passphrase)
            packed.unlink()
            packed = sealed
        _sync(packed)
        final = _free_name(folder, archive_name(started, encrypted=bool(passphrase)))
        # The rename is atomic: the archive appears complete under its final name, or not at all.
        os.replace(packed, final)
        _sync_folder(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(path=final, size=final.stat().st_size, manifest=manifest)


@dataclass(frozen=True)
class Snapshot:
    engine: str
    database_member: str
    migrations: dict[str, list[str]]
    counts: dict[str, int]


def _snapshot_database(content: Path) -> Snapshot:
    """Copy the database and its JSONL rows from one snapshot, so that both show the same moment."""
    if engine() == "sqlite":
        copy = content / SQLITE_MEMBER
        copy_sqlite(copy)
        # The JSONL rows come from the copy, not from the live database that keeps changing.
        with sqlite_alias(copy) as alias:
            counts = tables.dump_tables(content / TABLES_FOLDER, alias)
            migrations = applied_migrations(alias)
        return Snapshot("sqlite", SQLITE_MEMBER, migrations, counts)

    with postgresql_alias() as alias, transaction.atomic(using=alias):
        from django.db import connections

        with connections[alias].cursor() as cursor:
            # pg_dump reads the exported snapshot while this transaction is open, and the JSONL is read
            # in this same transaction: both see the database as it was at this instant.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()
        pg_dump(content / PGDUMP_MEMBER, snapshot_id, alias)
        counts = tables.dump_tables(content / TABLES_FOLDER, alias)
        migrations = applied_migrations(alias)
    return Snapshot("postgresql", PGDUMP_MEMBER, migrations, counts)


def _copy_media(target: Path) -> None:
    source = Path(settings.MEDIA_ROOT)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False)


def _manifest(content: Path, snapshot: Snapshot, started: datetime.datetime) -> dict[str, Any]:
    members = {}
    for path in sorted(content.rglob("*")):
        if path.is_file():
            name = path.relative_to(content).as_posix()
            members[name] = {"sha256": file_sha256(path), "size": path.stat().st_size}
    return {
        "format": FORMAT,
        "application": "ardoise",
        "version": application_version(),
        "created_at": started.isoformat(),
        "engine": snapshot.engine,
        "database": snapshot.database_member,
        "schema": {app: names[-1] for app, names in snapshot.migrations.items()},
        "migrations": snapshot.migrations,
        "counts": snapshot.counts,
        "members": members,
    }


def _pack(content: Path, target: Path, manifest: dict[str, Any]) -> None:
    """Write the tar.gz with the manifest first, so that a reader learns what to expect before the data."""
    with tarfile.open(target, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as archive:
        archive.add(content / MANIFEST, arcname=MANIFEST, recursive=False)
        for name in manifest["members"]:
            archive.add(content / name, arcname=name, recursive=False)


def _sync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Reading


@dataclass
class Opened:
    """An archive whose members were all extracted into ``folder`` and matched their SHA-256."""

    path: Path
    folder: Path
    manifest: dict[str, Any]
    encrypted: bool

    @property
    def engine(self) -> str:
        return str(self.manifest["engine"])

    @property
    def database(self) -> Path:
        return self.folder / self.manifest["database"]

    @property
    def tables(self) -> Path:
        return self.folder / TABLES_FOLDER

    @property
    def media(self) -> Path:
        return self.folder / MEDIA_FOLDER


DAMAGED = (
    "L'archive « %(name)s » est endommagée ou tronquée (%(detail)s) : elle ne peut pas servir. "
    "Utilisez une autre sauvegarde."
)


def _damaged(path: Path, detail: str) -> BackupError:
    return BackupError(_(DAMAGED) % {"name": path.name, "detail": detail})


@contextlib.contextmanager
def open_archive(path: Path, passphrase: str | None = None) -> Iterator[Opened]:
    """Decrypt if needed, extract and check every member of the archive against the manifest.

    Raises ``BackupError`` with a French message for a missing file, a wrong
    or missing passphrase, a damaged or truncated archive, or a member whose
    SHA-256 differs. The extracted files are deleted when the block ends.
    """
    if not path.is_file():
        raise BackupError(_("Le fichier « %(path)s » est introuvable.") % {"path": path})
    scratch = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=settings.BACKUP_SCRATCH_DIR))
    try:
        encrypted = crypto.is_encrypted(path)
        packed = _decrypted(path, scratch, passphrase) if encrypted else path
        folder = scratch / "content"
        folder.mkdir()
        manifest = _extract_checked(path, packed, folder)
        yield Opened(path=path, folder=folder, manifest=manifest, encrypted=encrypted)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _decrypted(path: Path, scratch: Path, passphrase: str | None) -> Path:
    if not passphrase:
        raise BackupError(
            _(
                "L'archive « %(name)s » est chiffrée : indiquez sa phrase secrète avec --passphrase-file FICHIER "
                "ou la variable ARDOISE_BACKUP_PASSPHRASE."
            )
            % {"name": path.name}
        )
    target = scratch / "archive.tar.gz"
    try:
        with open(path, "rb") as source, open(target, "wb") as output:
            crypto.decrypt_file(source, output, passphrase)
    except crypto.DecryptionError as error:
        if error.wrong_passphrase:
            raise BackupError(
                _("Phrase secrète incorrecte pour l'archive « %(name)s » : vérifiez-la et recommencez.")
                % {"name": path.name}
            ) from None
        raise _damaged(path, _("le déchiffrement a échoué")) from None
    return target


def _extract_checked(path: Path, packed: Path, folder: Path) -> dict[str, Any]:
    try:
        with tarfile.open(packed, "r:gz") as archive:
            return _extract_members(path, archive, folder)
    except (tarfile.TarError, EOFError, zlib.error, OSError, UnicodeDecodeError, ValueError) as error:
        raise _damaged(path, str(error) or error.__class__.__name__) from None


def _extract_members(path: Path, archive: tarfile.TarFile, folder: Path) -> dict[str, Any]:
    manifest: dict[str, Any] | None = None
    seen: set[str] = set()
    for member in archive:
        name = member.name
        if not member.isfile() or not _safe_name(name):
            raise _damaged(path, _("élément inattendu %(name)s") % {"name": name})
        source = archive.extractfile(member)
        assert source is not None
        if name == MANIFEST:
            manifest = json.loads(source.read().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("application") != "ardoise":
                raise _damaged(path, _("manifeste illisible"))
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    _(
                        "L'archive « %(name)s » est au format %(format)s, que cette version d'Ardoise ne lit pas : "
                        "mettez Ardoise à jour."
                    )
                    % {"name": path.name, "format": manifest.get("format")}
                )
            continue
        if manifest is None:
            raise _damaged(path, _("manifeste absent"))
        expected = manifest["members"].get(name)
        if expected is None:
            raise _damaged(path, _("élément %(name)s absent du manifeste") % {"name": name})
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(target, "wb") as output:
            while block := source.read(HASH_BLOCK):
                digest.update(block)
                output.write(block)
        if digest.hexdigest() != expected["sha256"]:
            raise _damaged(path, _("empreinte SHA-256 différente pour %(name)s") % {"name": name})
        seen.add(name)
    if manifest is None:
        raise _damaged(path, _("manifeste absent"))
    missing = sorted(set(manifest["members"]) - seen)
    if missing:
        raise _damaged(path, _("élément manquant : %(name)s") % {"name": missing[0]})
    return manifest


def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """List the archive's applied migrations that this version of Ardoise does not have."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return sorted(
        "%s.%s" % (app, name)
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    )


def check_schema(opened: Opened) -> None:
    """Refuse an archive written by a newer Ardoise, whose tables this version does not know."""
    unknown = unknown_migrations(opened.manifest)
    if unknown:
        raise BackupError(
            _(
                "L'archive « %(name)s » vient d'une version plus récente d'Ardoise (%(version)s, migration "
                "%(migration)s inconnue ici) : mettez Ardoise à jour, puis relancez la restauration. "
                "Rien n'a été modifié."
            )
            % {"name": opened.path.name, "version": opened.manifest.get("version"), "migration": unknown[0]}
        )
