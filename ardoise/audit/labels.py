"""French wording of the audit log: action names, data keys, and recorded values shown the French way."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ardoise.core.formats import (
    format_amount,
    format_date,
    format_decimal,
    format_quantity,
    format_rate,
    format_unit_price,
)

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
    "series.deleted": _("Séquence de numérotation supprimée"),
    "quote.draft_created": _("Brouillon de devis créé"),
    "quote.draft_updated": _("Brouillon de devis modifié"),
    "quote.draft_deleted": _("Brouillon de devis supprimé"),
    "quote.issued": _("Devis émis"),
    "quote.sent": _("Devis marqué comme envoyé"),
    "quote.accepted": _("Devis accepté"),
    "quote.refused": _("Devis refusé"),
    "quote.expired": _("Devis expiré"),
    "quote.duplicated": _("Devis dupliqué"),
    "quote.revised": _("Nouvelle version du devis"),
    "quote.superseded": _("Devis remplacé par sa nouvelle version"),
    "quote.invoice_created": _("Facture créée depuis le devis"),
    "quote.billing_reopened": _("Devis de nouveau à facturer après un avoir"),
    "quote.partially_invoiced": _("Devis facturé partiellement"),
    "quote.invoiced": _("Devis facturé"),
    "quote.settings_updated": _("Réglages des devis modifiés"),
    "email.sent": _("E-mail envoyé"),
    "email.failed": _("Échec de l'envoi de l'e-mail"),
    "email.template_updated": _("Modèle d'e-mail modifié"),
    "email.template_reset": _("Modèle d'e-mail remis par défaut"),
    "reminder.sent": _("Relance envoyée"),
    "reminder.formal_notice": _("Mise en demeure envoyée ou produite"),
    "reminder.failed": _("Échec de l'envoi de la relance"),
    "invoice.disputed": _("Facture marquée en litige"),
    "invoice.dispute_closed": _("Litige levé"),
    "reminders.plan_updated": _("Plan de relance modifié"),
    "reminders.customer_plan_created": _("Plan de relance propre au client créé"),
    "reminders.customer_plan_removed": _("Plan de relance propre au client supprimé"),
    "reminders.ecb_rate_added": _("Taux de la BCE ajouté"),
    "reminders.legal_rate_added": _("Taux de l'intérêt légal ajouté"),
    "reminders.rate_deleted": _("Taux supprimé"),
    "recurring.created": _("Abonnement créé"),
    "recurring.updated": _("Abonnement modifié"),
    "recurring.paused": _("Abonnement mis en pause"),
    "recurring.resumed": _("Abonnement repris"),
    "recurring.generated": _("Facture d'abonnement générée"),
    "recurring.repriced": _("Prix de la facture d'abonnement révisés par indice"),
    "recurring.email_resent": _("Facture d'abonnement renvoyée après une interruption"),
    "recurring.index_created": _("Indice de prix créé"),
    "recurring.index_value_set": _("Valeur d'indice saisie"),
    "recurring.index_value_deleted": _("Valeur d'indice supprimée"),
    "payment.recorded": _("Paiement enregistré"),
    "payment.reversed": _("Paiement annulé"),
    "receipt.recorded": _("Encaissement enregistré"),
    "receipt.reversed": _("Encaissement annulé"),
    "refund.recorded": _("Remboursement enregistré"),
    "credit.applied": _("Crédit client appliqué"),
    "credit.refunded": _("Crédit client remboursé"),
    "bank.statement_imported": _("Relevé bancaire importé"),
    "customers.imported": _("Clients importés"),
    "supplier_invoice.received": _("Facture fournisseur reçue"),
    "supplier_invoice.paid": _("Facture fournisseur marquée payée"),
    "supplier_invoice.unpaid": _("Paiement de facture fournisseur annulé"),
    "webhook.created": _("Webhook créé"),
    "webhook.updated": _("Webhook modifié"),
    "webhook.deleted": _("Webhook supprimé"),
    "webhook.replayed": _("Événement webhook renvoyé"),
    "products.imported": _("Articles importés"),
    "fec.exported": _("Fichier des écritures comptables exporté"),
    "accounting.settings_updated": _("Paramètres comptables modifiés"),
    "bank.account_created": _("Compte bancaire créé"),
    "bank.account_updated": _("Compte bancaire modifié"),
    "bank.csv_columns_updated": _("Colonnes CSV du compte bancaire modifiées"),
    "bank.transaction_matched": _("Opération bancaire rapprochée"),
    "bank.proposal_confirmed": _("Rapprochement bancaire confirmé"),
    "bank.match_undone": _("Rapprochement bancaire annulé"),
    "bank.transaction_ignored": _("Opération bancaire ignorée"),
    "bank.transaction_restored": _("Opération bancaire rétablie"),
    "customer.created": _("Client créé"),
    "customer.updated": _("Client modifié"),
    "customer.deleted": _("Client supprimé"),
    "product.created": _("Article créé"),
    "product.updated": _("Article modifié"),
    "product.deactivated": _("Article désactivé"),
    "product.reactivated": _("Article réactivé"),
    "organisation.updated": _("Informations de l'entreprise modifiées"),
    "job.retried": _("Tâche relancée"),
    "api_token.created": _("Jeton d'API créé"),
    "api_token.revoked": _("Jeton d'API révoqué"),
    "backup.created": _("Sauvegarde lancée"),
    "backup.downloaded": _("Sauvegarde téléchargée"),
    "organisation.exported": _("Données de l'entreprise exportées"),
    "organisation.imported": _("Données de l'entreprise importées"),
}


# French names of the keys that services write in ``AuditEntry.data``.
DATA_LABELS: dict[str, Promise] = {
    "number": _("Numéro"),
    "amount_due": _("Montant dû"),
    "amount": _("Montant"),
    "date": _("Date"),
    "method": _("Moyen"),
    "reverses": _("Annule le n°"),
    "customer": _("Client"),
    "bank_fees": _("Frais bancaires"),
    "credit": _("Crédit client"),
    "lines": _("Lignes"),
    "account": _("Compte"),
    "iban": _("IBAN"),
    "imported": _("Opérations importées"),
    "duplicates": _("Opérations déjà importées"),
    "matched": _("Rapprochées"),
    "proposed": _("Proposées"),
    "invoices": _("Factures"),
    "file": _("Fichier"),
    "source_number": _("Numéro d'origine"),
    "warnings": _("Avertissements"),
    "to": _("Destinataire"),
    "subject": _("Objet"),
    "status": _("État"),
    "pattern": _("Modèle de numéro"),
    "reset": _("Remise à zéro"),
    "is_default": _("Par défaut"),
    "invoice": _("Facture"),
    "credit_note": _("Avoir"),
    "draft": _("Brouillon n°"),
    "attempt": _("Essai automatique n°"),
    "job": _("Tâche"),
    "kind": _("Modèle"),
    "contacts": _("Contacts"),
    "error": _("Erreur"),
    "api_token": _("Jeton d'API"),
    "scope": _("Droits"),
    "expires_on": _("Expire le"),
    "total_with_vat": _("Total TTC"),
    "evidence": _("Preuve de l'accord"),
    "previous": _("Version précédente"),
    "version": _("Version"),
    "source": _("Copie de"),
    "validity_date": _("Valable jusqu'au"),
    "validity_days": _("Durée de validité (jours)"),
    "name": _("Signé par"),
    "reason": _("Motif"),
}

# The models whose field names appear in ``data["changes"]``, by ``AuditEntry.object_type``.
CHANGED_MODELS = {
    "invoice": "invoicing.Invoice",
    "customer": "customers.Customer",
    "quote": "quotes.Quote",
    "product": "catalogue.Product",
    "organisation": "accounts.Organisation",
    "bankaccount": "banking.BankAccount",
}


# Keys of ``AuditEntry.data`` and of its changes that hold an amount of money or a date.
AMOUNT_KEYS = {"amount", "amount_due", "bank_fees", "credit", "total_with_vat"}
DATE_KEYS = {"date", "validity_date"}

# A draft line as the invoicing services record it: "3.0000 × 650.0000 (TVA 20.00 %) Conseil".
RECORDED_LINE = re.compile(
    r"^(?P<quantity>-?[\d.]+) × (?P<price>-?[\d.]+) \(TVA (?P<rate>[\d.]+) %\) ?(?P<name>.*)$", re.S
)


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


def shown_data_value(key: str, value: Any, currency: str = "") -> Any:
    """Write a recorded amount or date the French way; keep other values as recorded.

    Without ``currency`` (the object is gone or is not an invoice), an amount is
    shown as a number, because guessing the euro could be false.
    """
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, list):
        return " ; ".join(str(item) for item in value)
    if key in CHOICE_KEYS and isinstance(value, str):
        return choice_label(key, value)
    if key in AMOUNT_KEYS:
        amount = _decimal(value)
        if amount is not None:
            return format_amount(amount, currency) if currency else format_decimal(amount)
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return format_date(datetime.date.fromisoformat(value))
        except ValueError:
            return value
    return value


# Recorded keys whose values are choices, with the model field that gives their French labels.
CHOICE_KEYS = {"method": ("payments.Payment", "method"), "reset": ("invoicing.NumberingSeries", "reset")}


def choice_label(key: str, value: str) -> str:
    """Return the French label of a recorded choice, or the value when the choice no longer exists."""
    from django.apps import apps

    model_name, field_name = CHOICE_KEYS[key]
    choices = dict(apps.get_model(model_name)._meta.get_field(field_name).flatchoices)
    return str(choices.get(value, value))


def shown_field_value(object_type: str, name: str, value: Any, currency: str = "") -> Any:
    """Write the value of a changed field the French way, an empty value as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "lines" and isinstance(value, list):
        return " ; ".join(_shown_line(str(line), currency) for line in value)
    if isinstance(value, list):
        return " ; ".join(str(item) for item in value)
    if isinstance(value, bool) or name in AMOUNT_KEYS or name in DATE_KEYS:
        return shown_data_value(name, value, currency)
    field_type = _field_type(object_type, name)
    if field_type == "DecimalField" and (number := _decimal(value)) is not None:
        return format_quantity(number)
    if field_type == "DateField":
        return shown_data_value("date", value)
    return value


def _shown_line(line: str, currency: str) -> str:
    match = RECORDED_LINE.match(line)
    if match is None:
        return line
    price = Decimal(match["price"])
    return "%s × %s (TVA %s) %s" % (
        format_quantity(Decimal(match["quantity"])),
        format_unit_price(price, currency) if currency else format_quantity(price),
        format_rate(Decimal(match["rate"])),
        match["name"],
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _field_type(object_type: str, name: str) -> str:
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    model_name = CHANGED_MODELS.get(object_type)
    if model_name is None:
        return ""
    try:
        return apps.get_model(model_name)._meta.get_field(name).get_internal_type()
    except FieldDoesNotExist:
        return ""
