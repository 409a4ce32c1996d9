from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ardoise.integrity.exceptions import AppendOnlyError


class RecordKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")
    PAYMENT = "payment", _("Paiement")
    RECEIPT = "receipt", _("Encaissement")


class ChainRecord(models.Model):
    """One link of an organisation's hash chain over issued documents, receipts and payments.

    Records are numbered 1, 2, 3… per organisation in the order the documents
    were issued and the payments recorded. ``hash`` covers the canonical
    content of the object (see ``ardoise.integrity.canonical``) and the
    previous record's hash, so changing any chained row, stored file or record
    breaks every hash after it. Rows are append-only, in the model and in the
    database (triggers in migration 0001).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=RecordKind)
    invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_record"
    )
    payment = models.OneToOneField(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_record"
    )
    receipt = models.OneToOneField(
        "payments.Receipt", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_record"
    )
    # The invoice number (also for a payment on it), or a receipt's customer name, for messages.
    reference = models.CharField(max_length=80)
    version = models.PositiveSmallIntegerField()
    content_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("maillon de la chaîne d'intégrité")
        ordering = ["organisation", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sequence"], name="unique_chain_sequence"),
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=False, payment__isnull=True, receipt__isnull=True)
                | models.Q(invoice__isnull=True, payment__isnull=False, receipt__isnull=True)
                | models.Q(invoice__isnull=True, payment__isnull=True, receipt__isnull=False),
                name="chain_record_one_object",
            ),
        ]

    def __str__(self) -> str:
        return "%s #%s %s" % (self.organisation_id, self.sequence, self.reference)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self)

    @property
    def label(self) -> str:
        """Name the chained object in French, e.g. « Facture F-2026-0001 »."""
        if self.kind == RecordKind.PAYMENT:
            return gettext("Paiement n° %(id)s de la facture %(number)s") % {
                "id": self.payment_id,
                "number": self.reference,
            }
        if self.kind == RecordKind.RECEIPT:
            return gettext("Encaissement n° %(id)s de %(customer)s") % {
                "id": self.receipt_id,
                "customer": self.reference,
            }
        return "%s %s" % (self.get_kind_display(), self.reference)
