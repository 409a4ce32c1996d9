"""Units of measure: UN/ECE Recommendation 20 codes (BT-130) with French labels."""

from django.utils.translation import gettext_lazy as _

UNIT_CHOICES = [
    ("C62", _("unité")),
    ("H87", _("pièce")),
    ("HUR", _("heure")),
    ("DAY", _("jour")),
    ("WEE", _("semaine")),
    ("MON", _("mois")),
    ("ANN", _("an")),
    ("LS", _("forfait")),
    ("KGM", _("kg")),
    ("MTR", _("m")),
    ("MTK", _("m²")),
    ("MTQ", _("m³")),
    ("LTR", _("litre")),
    ("KMT", _("km")),
]
# Codes that imported invoices use, printed in French but not offered in the editor.
IMPORTED_UNIT_LABELS = {
    "NAR": _("article"),
    "EA": _("unité"),
    "XPP": _("pièce"),
    "SET": _("lot"),
    "E48": _("prestation"),
    "PR": _("paire"),
    "MIN": _("minute"),
    "SEC": _("seconde"),
    "KWH": _("kWh"),
    "GRM": _("g"),
    "TNE": _("tonne"),
    "CMT": _("cm"),
    "MLT": _("ml"),
    "ZZ": _("unité convenue"),
}
UNIT_LABELS = {**IMPORTED_UNIT_LABELS, **dict(UNIT_CHOICES)}


def unit_label(code: str) -> str:
    return str(UNIT_LABELS.get(code, code))
