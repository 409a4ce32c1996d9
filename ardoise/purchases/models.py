"""Invoices received from suppliers: the original file, its content, its validation, and its payment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ardoise.payments.models import PaymentMethod


class Source(models.TextChoices):
    UPLOAD = "upload", _("Déposée dans Ardoise")
    FOLDER = "folder", _("Dossier de réception")
    COMMAND = "command", _("Ligne de commande")


class SupplierInvoice(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="supplier_invoices"
    )
    # The file as received, kept unchanged: it is the legal original.
    filename = models.CharField(_("fichier"), max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("format"), max_length=20)  # facturx, cii or ubl
    source = models.CharField(max_length=10, choices=Source, default=Source.UPLOAD)
    received_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    supplier_name = models.CharField(_("fournisseur"), max_length=200)
    supplier_siren = models.CharField(_("SIREN du fournisseur"), max_length=9, blank=True)
    supplier_vat_number = models.CharField(_("TVA du fournisseur"), max_length=20, blank=True)
    number = models.CharField(_("numéro"), max_length=100)
    type_code = models.CharField(max_length=3)
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    currency = models.CharField(max_length=3)
    total_without_vat = models.DecimalField(max_digits=14, decimal_places=2)
    total_vat = models.DecimalField(max_digits=14, decimal_places=2)
    total_with_vat = models.DecimalField(max_digits=14, decimal_places=2)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    # Lines, VAT breakdown and payment details as read from the file, for display.
    details = models.JSONField(default=dict)
    # The three validation layers' result: {"ok", "layers", "errors": [...], "warnings": [...]}.
    validation = models.JSONField(default=dict)
    # French remarks: totals that differ from Ardoise's computation, a buyer that is not this organisation.
    warnings = models.JSONField(default=list)

    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    payment_method = models.CharField(_("moyen de paiement"), max_length=20, choices=PaymentMethod, blank=True)
    payment_reference = models.CharField(_("référence du paiement"), max_length=140, blank=True)

    class Meta:
        verbose_name = _("facture fournisseur")
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sha256"], name="supplier_invoice_file_once"),
        ]
        indexes = [models.Index(fields=["organisation", "paid_on", "due_date"], name="supplier_invoice_to_pay")]

    def __str__(self) -> str:
        return "%s %s" % (self.supplier_name, self.number)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in ("381", "261", "262", "296", "308", "396", "502", "503")

    @property
    def is_valid(self) -> bool:
        return bool(self.validation.get("ok"))
