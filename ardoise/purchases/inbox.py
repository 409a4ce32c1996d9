"""The reception folder: supplier invoices dropped in ``<inbox>/<SIREN>/`` are received by the worker.

A file is taken once it has not changed for a few seconds, so that a copy
in progress is not read halfway. Received, it moves to ``recues/``.
Rejected, it moves to ``refusees/`` beside a ``.erreur.txt`` file that gives
the reason in French. A file already received (a worker killed after receiving it
but before moving it) moves to ``recues/`` as well.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import DueUnit
from ardoise.purchases.models import Source
from ardoise.purchases.services import ReceiveError, receive

logger = logging.getLogger(__name__)

RECEIVED_FOLDER = "recues"
REJECTED_FOLDER = "refusees"
SETTLE_SECONDS = 5
SUFFIXES = (".pdf", ".xml")


def organisation_folder(organisation: Organisation) -> Path:
    return Path(settings.ARDOISE_INBOX_DIR) / organisation.siren


def _waiting_files(folder: Path) -> Iterator[tuple[Path, str]]:
    """Yield each settled invoice file of ``folder`` with a fingerprint of its name, size and time."""
    now = time.time()
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        stat = path.stat()
        if now - stat.st_mtime < SETTLE_SECONDS:
            continue
        # A file put again under the same name has another time, so it gets another unit.
        fingerprint = hashlib.sha256(b"%s\0%d\0%d" % (path.name.encode(), stat.st_size, stat.st_mtime_ns))
        yield path, fingerprint.hexdigest()[:32]


def find_files(day: datetime.date) -> Iterator[DueUnit]:
    """List one unit per file waiting in an organisation's folder."""
    for organisation in Organisation.objects.exclude(siren="").order_by("pk"):
        folder = organisation_folder(organisation)
        if not folder.is_dir():
            continue
        for path, fingerprint in _waiting_files(folder):
            yield DueUnit(
                key="inbox:%s:%s" % (organisation.pk, fingerprint),
                label=(_("Facture fournisseur déposée : %(name)s") % {"name": path.name})[:300],
                organisation_id=organisation.pk,
                object_id=organisation.pk,
            )


def receive_file(unit: JobUnit) -> str:
    organisation = Organisation.objects.get(pk=unit.object_id)
    fingerprint = unit.key.rsplit(":", 1)[1]
    folder = organisation_folder(organisation)
    found = [path for path, print_ in _waiting_files(folder) if print_ == fingerprint] if folder.is_dir() else []
    if not found:
        return _("Le fichier n'est plus dans le dossier : déjà traité.")
    path = found[0]
    name = path.name
    try:
        invoice = receive(organisation, path.read_bytes(), name, source=Source.FOLDER)
    except ReceiveError as error:
        if error.existing is not None and error.existing.filename == name and error.existing.source == Source.FOLDER:
            _move(path, RECEIVED_FOLDER)
            return _("Déjà reçue : %(name)s rangé dans %(folder)s/.") % {"name": name, "folder": RECEIVED_FOLDER}
        target = _move(path, REJECTED_FOLDER)
        target.with_name(target.name + ".erreur.txt").write_text(error.message + "\n", encoding="utf-8")
        logger.warning("supplier invoice rejected organisation=%s file=%s", organisation.pk, name)
        return _("Refusée : %(reason)s") % {"reason": error.message}
    _move(path, RECEIVED_FOLDER)
    return _("Reçue : facture %(number)s de %(supplier)s.") % {
        "number": invoice.number,
        "supplier": invoice.supplier_name,
    }


def _move(path: Path, folder_name: str) -> Path:
    folder = path.parent / folder_name
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        target = folder / ("%s-%d%s" % (path.stem, counter, path.suffix))
        counter += 1
    path.rename(target)
    return target
