"""The PDF attestation of an integrity check, rendered with Typst like the invoices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import typst
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.formats import format_date
from ardoise.integrity.services import ChainRecord, Verification
from ardoise.pdf.fonts import printable
from ardoise.pdf.render import typst_fonts

TEMPLATE = Path(__file__).parent / "typst" / "attestation.typ"


def render_attestation(result: Verification) -> bytes:
    """Render the attestation of ``result`` as PDF bytes."""
    compiler = typst.Compiler(
        str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=typst_fonts(), ignore_system_fonts=True
    )
    payload = json.dumps(_printable(attestation_data(result)), ensure_ascii=False)
    return cast(bytes, compiler.compile(format="pdf", sys_inputs={"data": payload}))


def attestation_data(result: Verification) -> dict[str, Any]:
    organisation = result.organisation
    checked_at = timezone.localtime(result.checked_at)
    moment = _("%(date)s à %(time)s (heure de Paris)") % {
        "date": format_date(checked_at.date()),
        "time": checked_at.strftime("%H:%M:%S"),
    }
    identity = organisation.name
    if organisation.siren:
        identity = _("%(name)s, SIREN %(siren)s") % {"name": organisation.name, "siren": organisation.siren}
    facts = [
        [_("Entreprise"), identity],
        [_("Contrôle effectué le"), moment],
        [_("Enregistrements vérifiés"), str(result.checked)],
        [_("Premier enregistrement"), _describe(result.first)],
        [_("Dernier enregistrement"), _describe(result.last)],
        [_("Empreinte finale (SHA-256)"), result.final_hash or "—"],
    ]
    if result.ok:
        result_title = _("Résultat : chaîne intacte")
        result_text = _(
            "Chaque facture, avoir et paiement vérifié correspond à l'empreinte enregistrée lors de son "
            "émission, y compris les PDF et XML conservés, et la chaîne ne présente aucune rupture."
        )
    else:
        assert result.failure is not None
        result_title = _("Résultat : anomalie détectée")
        result_text = result.failure.message
    return {
        "title": _("Attestation de contrôle d'intégrité"),
        "subtitle": _("Factures, avoirs et paiements enregistrés dans Ardoise"),
        "organisation": organisation.name,
        "facts": facts,
        "counts_title": _("Enregistrements vérifiés par type"),
        "counts": [[label, str(count)] for label, count in result.counts_by_kind()],
        "ok": result.ok,
        "result_title": result_title,
        "result_text": result_text,
        "method": _(
            "Méthode : chaque enregistrement porte une empreinte SHA-256 calculée sur son contenu, les "
            "empreintes de ses fichiers PDF et XML et l'empreinte de l'enregistrement précédent. Le contrôle "
            "recalcule toutes les empreintes à partir des données conservées et les compare."
        ),
        "footer": _("Attestation produite par Ardoise le %(moment)s.") % {"moment": moment},
    }


def _describe(record: ChainRecord | None) -> str:
    if record is None:
        return "—"
    return _("n° %(sequence)s, %(record)s") % {"sequence": record.sequence, "record": record.label}


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    return value
