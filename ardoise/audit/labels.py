"""French wording of the audit log's dotted action names."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "invoice.draft_created": _("Brouillon créé"),
    "invoice.draft_updated": _("Brouillon modifié"),
    "invoice.draft_deleted": _("Brouillon supprimé"),
    "invoice.imported": _("Facture importée"),
    "invoice.issued": _("Facture émise"),
    "email.sent": _("E-mail envoyé"),
    "email.failed": _("Échec de l'envoi de l'e-mail"),
    "payment.recorded": _("Paiement enregistré"),
    "payment.reversed": _("Paiement annulé"),
    "customer.created": _("Client créé"),
    "customer.updated": _("Client modifié"),
    "customer.deleted": _("Client supprimé"),
    "product.created": _("Article créé"),
    "product.updated": _("Article modifié"),
    "product.deactivated": _("Article désactivé"),
    "product.reactivated": _("Article réactivé"),
    "organisation.updated": _("Informations de l'entreprise modifiées"),
}


def action_label(action: str) -> str:
    """Return the French label of ``action``, or the dotted name itself for an action not listed here."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
