"""The words printed on invoice PDFs, translated at render time.

The template prints no word of its own: every label comes from here, so that a
document can be produced in the customer's language once a catalogue exists.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# UNTDID 1001 document types that Ardoise issues.
INVOICE = "380"
CREDIT_NOTE = "381"
DEPOSIT_INVOICE = "386"


def document_title(type_code: str) -> str:
    titles = {
        INVOICE: _("Facture"),
        CREDIT_NOTE: _("Avoir"),
        DEPOSIT_INVOICE: _("Facture d'acompte"),
    }
    return titles.get(type_code, _("Facture"))


def payment_means(code: str) -> str:
    """Name a UNTDID 4461 payment means code."""
    means = {
        "10": _("Espèces"),
        "20": _("Chèque"),
        "30": _("Virement bancaire"),
        "42": _("Virement bancaire"),
        "48": _("Carte bancaire"),
        "49": _("Prélèvement"),
        "57": _("Virement permanent"),
        "58": _("Virement SEPA"),
        "59": _("Prélèvement SEPA"),
    }
    return means.get(code, "")


def vat_category(category: str) -> str:
    """Name a VAT category whose rate is zero, for the line and summary columns."""
    categories = {
        "Z": _("Taux zéro"),
        "E": _("Exonéré"),
        "AE": _("Autoliquidation"),
        "K": _("Exonéré UE"),
        "G": _("Export"),
        "O": _("Hors champ"),
        "L": _("IGIC"),
        "M": _("IPSI"),
    }
    return categories.get(category, category)


def invoice_labels(type_code: str) -> dict[str, str]:
    """Return the fixed labels of the invoice template, in the active language."""
    return {
        "number": _("N°"),
        "seller": _("Émetteur"),
        "buyer": _("Client"),
        "delivery_address": _("Adresse de livraison"),
        "line_name": _("Désignation"),
        "line_quantity": _("Qté"),
        "line_unit": _("Unité"),
        "line_unit_price": _("Prix unitaire HT"),
        "line_discount": _("Remise"),
        "line_vat": pgettext("column", "TVA"),
        "line_total": _("Total HT"),
        "vat_summary": _("Récapitulatif de la TVA"),
        "vat_rate": _("Taux"),
        "vat_base": _("Base HT"),
        "vat_amount": _("Montant TVA"),
        "notes": _("Observations"),
        "payment": _("Règlement"),
        "payment_qr": _("Scannez avec l'application de votre banque pour pré-remplir le virement"),
        "due": _("Montant de l'avoir") if type_code == CREDIT_NOTE else _("Net à payer"),
    }
