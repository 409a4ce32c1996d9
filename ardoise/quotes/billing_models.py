"""The link between a quote and each invoice made from it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingKind(models.TextChoices):
    FULL = "full", _("Facture totale")
    DEPOSIT = "deposit", _("Facture d'acompte")
    PROGRESS = "progress", _("Facture de situation")
    FINAL = "final", _("Facture de solde")


class QuoteInvoice(models.Model):
    """An invoice made from a quote: its kind, what the user requested and the quote's state it was built on.

    The VAT amounts are lists of {"category", "rate", "base", "vat"} as
    strings. ``invoiced_before`` is what the quote's issued invoices and
    credit notes added up to when the draft was made: issuing refuses the
    draft when it changed, because the draft's amounts were computed from it.
    ``progress`` is the cumulative state of a progress invoice, one row per
    quote line or document-level allowance: {"line", "label", "key",
    "percent", "to_date"}.
    """

    quote = models.ForeignKey("quotes.Quote", on_delete=models.PROTECT, related_name="invoice_links")
    # A deleted draft takes its link with it; an issued invoice is never deleted.
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.CASCADE, related_name="quote_link")
    kind = models.CharField(_("type de facture"), max_length=10, choices=BillingKind)
    percent = models.DecimalField(_("pourcentage"), max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2, null=True, blank=True)
    including_vat = models.BooleanField(_("montant TTC"), default=False)
    per_line = models.BooleanField(_("avancement par ligne"), default=False)
    amounts = models.JSONField(default=list)
    invoiced_before = models.JSONField(default=list)
    progress = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture du devis")
        verbose_name_plural = _("factures du devis")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return "%s of quote %s: invoice %s" % (self.kind, self.quote_id, self.invoice_id)
