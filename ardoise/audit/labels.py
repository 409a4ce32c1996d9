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
    "invoice.cancelled_and_replaced": _("Facture annulée par avoir et remplacée"),
    "credit_note.draft_created": _("Avoir créé (brouillon)"),
    "credit_note.draft_updated": _("Brouillon d'avoir modifié"),
    "credit_note.issued": _("Avoir émis"),
    "series.created": _("Séquence de numérotation créée"),
    "series.updated": _("Séquence de numérotation modifiée"),
    "series.made_default": _("Séquence de numérotation choisie par défaut"),
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


# French names of the keys that services write in ``AuditEntry.data``.
DATA_LABELS: dict[str, Promise] = {
    "number": _("Numéro"),
    "amount_due": _("Montant dû"),
    "amount": _("Montant"),
    "date": _("Date"),
    "method": _("Moyen"),
    "reverses": _("Annule le paiement n°"),
    "lines": _("Lignes"),
    "file": _("Fichier"),
    "source_number": _("Numéro d'origine"),
    "to": _("Destinataire"),
    "subject": _("Objet"),
    "status": _("État"),
    "pattern": _("Modèle de numéro"),
    "reset": _("Remise à zéro"),
    "is_default": _("Par défaut"),
    "invoice": _("Facture"),
    "credit_note": _("Avoir"),
    "draft": _("Brouillon n°"),
}

# The models whose field names appear in ``data["changes"]``, by ``AuditEntry.object_type``.
CHANGED_MODELS = {
    "invoice": "invoicing.Invoice",
    "customer": "customers.Customer",
    "product": "catalogue.Product",
    "organisation": "accounts.Organisation",
}


def action_label(action: str) -> str:
    """Return the French label of ``action``, or the dotted name itself for an action not listed here."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def data_label(key: str) -> str:
    label = DATA_LABELS.get(key)
    return str(label) if label is not None else key


def field_label(object_type: str, name: str) -> str:
    """Return the verbose name of field ``name`` of the entry's model, or ``name`` when there is none."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    model_name = CHANGED_MODELS.get(object_type)
    if model_name is None:
        return data_label(name)
    try:
        field = apps.get_model(model_name)._meta.get_field(name)
    except FieldDoesNotExist:
        return data_label(name)
    verbose_name = getattr(field, "verbose_name", None)
    # Fields without a verbose name get Django's default, the name with spaces.
    return str(verbose_name) if verbose_name and verbose_name != name.replace("_", " ") else data_label(name)
