"""Quotes (devis) and pro forma invoices.

A quote is a draft while editable. Issuing numbers it in its own series and
freezes its content: the snapshot, the PDF and every field that was printed
never change afterwards, and a change is a new version that points to the
previous one. Only the status and its dates move after issue.

A pro forma invoice is a ``Quote`` of kind ``proforma``: it has its own series
and is never an ``Invoice`` row, so it stays out of the accounting, the hash
chain and the reports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ardoise.core.money import currency_decimals
from ardoise.core.units import UNIT_CHOICES
from ardoise.core.vat import EXEMPTION_CHOICES
from ardoise.invoicing.models import DiscountKind, NumberingSeries
from ardoise.quotes.exceptions import IssuedQuoteError

ZERO = Decimal("0.00")

DEFAULT_VALIDITY_DAYS = 30


class QuoteKind(models.TextChoices):
    QUOTE = "quote", _("Devis")
    PROFORMA = "proforma", _("Facture pro forma")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    # Numbered and frozen, not sent yet.
    ISSUED = "issued", _("Émis")
    SENT = "sent", _("Envoyé")
    ACCEPTED = "accepted", _("Accepté")
    REFUSED = "refused", _("Refusé")
    EXPIRED = "expired", _("Expiré")
    PARTIALLY_INVOICED = "partially_invoiced", _("Facturé partiellement")
    INVOICED = "invoiced", _("Facturé")
    # Replaced by the next version once that version was issued.
    SUPERSEDED = "superseded", _("Remplacé")


# Statuses in which the quote waits for the customer's decision.
OPEN_STATUSES = (QuoteStatus.ISSUED, QuoteStatus.SENT)
# Statuses from which a new version may be made: the customer has not committed to this one.
REVISABLE_STATUSES = (QuoteStatus.ISSUED, QuoteStatus.SENT, QuoteStatus.REFUSED, QuoteStatus.EXPIRED)


class QuoteSettings(models.Model):
    """An organisation's defaults for new quotes."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="quote_settings"
    )
    validity_days = models.PositiveSmallIntegerField(
        _("durée de validité des devis (jours)"),
        default=DEFAULT_VALIDITY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("La date de validité d'un devis est sa date d'émission plus ce nombre de jours."),
    )
    default_conditions = models.TextField(
        _("conditions par défaut"),
        blank=True,
        help_text=_("Reprises dans chaque nouveau devis, par exemple les délais d'exécution ou l'acompte demandé."),
    )

    class Meta:
        verbose_name = _("réglages des devis")

    def __str__(self) -> str:
        return "quote settings of organisation %s" % self.organisation_id


# Fields printed on the issued PDF or used to number it: fixed once the quote is issued.
FROZEN_FIELDS = (
    "organisation_id",
    "customer_id",
    "series_id",
    "kind",
    "number",
    "version",
    "previous_version_id",
    "currency",
    "issue_date",
    "validity_date",
    "conditions",
    "notes",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "document_adjustments",
    "deposit_percent",
    "auto_deposit_on_acceptance",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "document",
    "pdf_sha256",
)


class QuoteQuerySet(models.QuerySet["Quote"]):
    def for_organisation(self, organisation: Any) -> QuoteQuerySet:
        return self.filter(organisation=organisation)

    def issued(self) -> QuoteQuerySet:
        return self.exclude(status=QuoteStatus.DRAFT)


class Quote(models.Model):
    """A quote or a pro forma invoice: a draft while editable, then a numbered, frozen document."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="quotes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("client")
    )
    series = models.ForeignKey(NumberingSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="quotes")
    kind = models.CharField(_("type de document"), max_length=10, choices=QuoteKind, default=QuoteKind.QUOTE)
    status = models.CharField(_("statut"), max_length=20, choices=QuoteStatus, default=QuoteStatus.DRAFT)
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    # A revision is a new draft with version + 1 that points to the quote it replaces.
    version = models.PositiveIntegerField(_("version"), default=1)
    previous_version = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    # A duplicate is a new, independent quote (version 1) copied from this one.
    duplicated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    validity_date = models.DateField(
        _("valable jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Laissez vide pour la date d'émission plus la durée de validité de l'entreprise."),
    )
    conditions = models.TextField(_("conditions"), blank=True)
    notes = models.TextField(_("notes imprimées sur le devis"), blank=True)
    discount_kind = models.CharField(
        _("type de remise globale"), max_length=10, choices=DiscountKind, default=DiscountKind.PERCENT
    )
    discount_value = models.DecimalField(
        _("remise globale"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    discount_reason = models.CharField(
        _("motif de la remise globale"),
        max_length=100,
        blank=True,
        help_text=_("Imprimé sur le devis, par exemple « Remise fidélité ». Par défaut : « Remise globale »."),
    )
    # Allowances and charges on the total (EN 16931 BG-20, BG-21), stored as in ``Invoice.document_adjustments``.
    document_adjustments = models.JSONField(default=list, blank=True)
    deposit_percent = models.DecimalField(
        _("acompte demandé (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("Part du total TTC à facturer en acompte à l'acceptation. Laissez vide s'il n'y en a pas."),
    )
    auto_deposit_on_acceptance = models.BooleanField(
        _("facturer l'acompte automatiquement à l'acceptation en ligne"),
        default=False,
        help_text=_("Crée et envoie la facture d'acompte dès que le client accepte le devis sur le portail."),
    )

    total_without_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total_with_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    # Set at issue: the ``QuoteDocument`` snapshot as JSON and the SHA-256 of the PDF in ``QuoteFile``.
    document = models.JSONField(null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Who signed « Bon pour accord », as typed by the business or the customer.
    accepted_by_name = models.CharField(_("accepté par"), max_length=200, blank=True)
    # What proves the acceptance: {"channel": "paper" | "portal", …} with the portal's own details.
    acceptance_evidence = models.JSONField(default=dict, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], condition=~Q(number=""), name="unique_quote_number"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="") | (~Q(status="draft") & ~Q(number="")),
                name="quote_number_iff_issued",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "validity_date"], name="quote_org_status_validity"),
            models.Index(fields=["organisation", "created_at"], name="quote_org_created"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_frozen = self._frozen_values() if self.pk and self.status != QuoteStatus.DRAFT else None

    def __str__(self) -> str:
        if self.number:
            return self.number
        return str(_("Brouillon n° %(id)s") % {"id": self.pk})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._loaded_frozen is not None and self._frozen_values() != self._loaded_frozen:
            raise IssuedQuoteError(self)
        super().save(*args, **kwargs)
        if self.status != QuoteStatus.DRAFT:
            self._loaded_frozen = self._frozen_values()

    def get_absolute_url(self) -> str:
        return reverse("quotes:detail", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if not self.is_draft:
            raise IssuedQuoteError(self)
        return super().delete(*args, **kwargs)

    def _frozen_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in FROZEN_FIELDS)

    @property
    def is_draft(self) -> bool:
        return self.status == QuoteStatus.DRAFT

    @property
    def is_proforma(self) -> bool:
        return self.kind == QuoteKind.PROFORMA

    @property
    def is_open(self) -> bool:
        """Tell whether the quote waits for the customer's decision (issued or sent, not yet accepted or refused)."""
        return self.status in OPEN_STATUSES

    @property
    def is_revisable(self) -> bool:
        return self.status in REVISABLE_STATUSES and not self.is_proforma

    @property
    def places(self) -> int:
        return currency_decimals(self.currency)

    def title(self) -> str:
        """Return « Devis » or « Facture pro forma »."""
        return str(QuoteKind(self.kind).label)

    def issued_pdf(self) -> bytes:
        """Return the PDF stored at issue; raises ``QuoteFile.DoesNotExist`` for a draft."""
        return bytes(self.file.pdf)

    # The invoicing engine (``ardoise.invoicing.documents``) reads these document-level
    # values from the invoice it computes. A quote has no imported exemption reasons, no
    # prepaid amount and no rounding, so it gives the neutral values.
    vat_exemptions: list[Any] = []
    prepaid_amount = ZERO
    rounding_amount = ZERO


class QuoteLine(models.Model):
    """A quote line, with the fields of an invoice line that a quote can carry to its invoices."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("catalogue.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("désignation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_service = models.BooleanField(_("prestation de services"), default=True)
    quantity = models.DecimalField(_("quantité"), max_digits=16, decimal_places=4, default=Decimal("1"))
    unit = models.CharField(_("unité"), max_length=3, choices=UNIT_CHOICES, default="C62")
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=20, decimal_places=6)
    gross_price = models.DecimalField(
        _("prix brut HT"), max_digits=20, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    base_quantity = models.DecimalField(
        _("quantité de base"),
        max_digits=16,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    vat_rate = models.DecimalField(_("TVA"), max_digits=5, decimal_places=2, default=Decimal("20.00"))
    vat_category = models.CharField(max_length=2, default="S")
    exemption = models.CharField(_("motif d'exonération"), max_length=20, choices=EXEMPTION_CHOICES, blank=True)
    exemption_text = models.CharField(_("texte du motif d'exonération"), max_length=300, blank=True)
    discount_percent = models.DecimalField(
        _("remise (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    # Allowances and charges beyond the percentage, as in ``InvoiceLine.extra_adjustments``.
    extra_adjustments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ligne de devis")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.quote_id and not Quote.objects.filter(pk=self.quote_id, status=QuoteStatus.DRAFT).exists():
            raise IssuedQuoteError(self.quote)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if not self.quote.is_draft:
            raise IssuedQuoteError(self.quote)
        return super().delete(*args, **kwargs)


class QuoteFile(models.Model):
    """The PDF of an issued quote, stored once and served unchanged."""

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="file")
    pdf = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "PDF of quote %s" % self.quote_id


# The billing link lives in its own module; Django finds models through this one.
from ardoise.quotes.billing_models import QuoteInvoice  # noqa: E402, F401
