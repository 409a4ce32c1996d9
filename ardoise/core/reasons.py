"""Reason codes of allowances (UNTDID 5189) and charges (UNTDID 7161), with French labels.

EN 16931 lets an allowance or a charge give a reason code beside its text
(BT-98, BT-105, BT-140, BT-145). These are the codes small French businesses
use most; the code lists have many more, which imported files may carry.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ALLOWANCE_REASONS = {
    "95": _("Remise"),
    "100": _("Rabais exceptionnel"),
    "102": _("Remise contractuelle"),
    "104": _("Remise standard"),
    "105": _("Remise sur chiffre d'affaires annuel"),
    "65": _("Remise pour défaut de production"),
    "68": _("Remise de fin de série"),
}

CHARGE_REASONS = {
    "FC": _("Frais de transport"),
    "DL": _("Frais de livraison"),
    "PC": _("Emballage"),
    "LA": _("Étiquetage"),
    "AA": _("Publicité"),
    "FI": _("Frais de financement"),
    "ADR": _("Autres services"),
    "ABK": _("Divers"),
}


def reason_label(code: str, is_charge: bool) -> str:
    """Return the French label of a known reason code, or an empty string."""
    label = (CHARGE_REASONS if is_charge else ALLOWANCE_REASONS).get(code)
    return "" if label is None else str(label)
