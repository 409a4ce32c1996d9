from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.core import numbering, payment_terms
from ardoise.core.money import currency_decimals, quantize
from ardoise.core.units import UNIT_CHOICES
from ardoise.core.vat import EXEMPTION_CHOICES
from ardoise.invoicing.exceptions import IssuedInvoiceError, SeriesInUseError

ZERO = Decimal("0.00")


class ResetPolicy(models.TextChoices):
    """When the counter of a series restarts at 1."""

    YEARLY = numbering.YEARLY, _("Chaque année")
    MONTHLY = numbering.MONTHLY, _("Chaque mois")
    NEVER = numbering.NEVER, _("Jamais")


class SeriesKind(models.TextChoices):
    """The documents a series numbers. Quotes and pro forma invoices are no invoices, so they never share one."""

    INVOICE = "invoice", _("Factures et avoirs")
    QUOTE = "quote", _("Devis")
    PROFORMA = "proforma", _("Factures pro forma")


class NumberingSeries(models.Model):
    """A gapless numbering sequence (séquence de numérotation).

    ``pattern`` accepts {YYYY}, {YY}, {MM} and {N…} (the counter, zero-padded to
    as many digits as N); ``reset`` sets when the counter restarts. Once a number
    has been taken, neither may change: the next numbers could repeat old ones.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="series")
    name = models.CharField(_("nom"), max_length=60)
    pattern = models.CharField(
        _("modèle de numéro"),
        max_length=60,
        default="F-{YYYY}-{NNNN}",
        help_text=_(
            "Un préfixe et les balises {YYYY} (année), {YY} (année sur 2 chiffres), {MM} (mois) et un compteur "
            "{NNNN} (autant de N que de chiffres), par exemple F-{YYYY}-{NNNN}."
        ),
    )
    reset = models.CharField(
        _("remise à zéro du compteur"), max_length=10, choices=ResetPolicy, default=ResetPolicy.YEARLY
    )
    is_default = models.BooleanField(_("séquence par défaut"), default=False)
    kind = models.CharField(_("documents numérotés"), max_length=10, choices=SeriesKind, default=SeriesKind.INVOICE)

    class Meta:
        verbose_name = _("séquence de numérotation")
        verbose_name_plural = _("séquences de numérotation")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_series_name"),
            models.UniqueConstraint(fields=["organisation"], condition=Q(is_default=True), name="one_default_series"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_numbering = (self.pattern, self.reset) if self.pk else None

    def __str__(self) -> str:
        return "%s (%s)" % (self.name, self.pattern)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.numbering_changed() and self.is_used():
            raise SeriesInUseError(self)
        super().save(*args, **kwargs)
        self._loaded_numbering = (self.pattern, self.reset)

    def clean(self) -> None:
        try:
            numbering.validate_pattern(self.pattern)
        except numbering.PatternError as error:
            raise ValidationError({"pattern": str(error)}) from None
        try:
            numbering.validate_series(self.pattern, self.reset)
        except numbering.PatternError as error:
            raise ValidationError({"reset": str(error)}) from None

    def numbering_changed(self) -> bool:
        """Tell whether the pattern or the reset policy differ from the loaded row."""
        return self._loaded_numbering is not None and self._loaded_numbering != (self.pattern, self.reset)

    def is_used(self) -> bool:
        """Tell whether a number of this series has been issued (counters roll back with failed issues)."""
        return self.pk is not None and SeriesCounter.objects.filter(series=self, last_value__gt=0).exists()


class SeriesCounter(models.Model):
    """The last number used in a series for one period: "2026", "2026-12", or "all" when it never resets."""

    series = models.ForeignKey(NumberingSeries, on_delete=models.PROTECT, related_name="counters")
    period = models.CharField(max_length=10)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "period"], name="unique_counter_period")]

    def __str__(self) -> str:
        return "%s %s: %s" % (self.series.name, self.period, self.last_value)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    ISSUED = "issued", _("Émise")


class PaymentState(models.TextChoices):
    """The state shown to the user, derived from the status, the payments and the due date."""

    DRAFT = "draft", _("Brouillon")
    ISSUED = "issued", _("Émise")
    PARTIALLY_PAID = "partially_paid", _("Partiellement payée")
    PAID = "paid", _("Payée")
    OVERDUE = "overdue", _("En retard")
    CANCELLED = "cancelled", _("Annulée par avoir")
    REFUND_DUE = "refund_due", _("À rembourser")
    SETTLED = "settled", _("Avoir soldé")


class DocumentType(models.TextChoices):
    """UNTDID 1001 document type codes (BT-3) that Ardoise issues or imports."""

    INVOICE = "380", _("Facture")
    CREDIT_NOTE = "381", _("Avoir")
    CORRECTED_INVOICE = "384", _("Facture rectificative")
    DEPOSIT_INVOICE = "386", _("Facture d'acompte")
    SELF_BILLED_INVOICE = "389", _("Autofacture")


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("%")
    AMOUNT = "amount", _("€ HT")


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def for_organisation(self, organisation: Any) -> InvoiceQuerySet:
        return self.filter(organisation=organisation)

    def with_paid(self) -> InvoiceQuerySet:
        return self.annotate(
            paid_amount=Coalesce(Sum("payments__amount"), Value(ZERO), output_field=models.DecimalField())
        )

    def issued(self) -> InvoiceQuerySet:
        return self.exclude(status=InvoiceStatus.DRAFT)


class Invoice(models.Model):
    """An invoice: a draft while editable, then an issued, immutable document.

    Issuing copies the seller and the customer into ``document`` (a JSON
    snapshot of ``InvoiceDocument``), so that later edits of the organisation or
    the customer never change an issued invoice. The database refuses any update
    or deletion of an issued row (triggers in migration 0002).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client")
    )
    series = models.ForeignKey(
        NumberingSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    status = models.CharField(max_length=10, choices=InvoiceStatus, default=InvoiceStatus.DRAFT)
    type_code = models.CharField(max_length=3, default=DocumentType.INVOICE)
    # A credit note (type 381) points to the invoice it corrects (BT-25, BT-26).
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    # The draft opened by « Annuler et remplacer » points to the invoice it replaces.
    replaced_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replacements"
    )
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    # French rules want the VAT of an invoice in another currency stated in euros
    # as well (BT-111): the rate converts one unit of ``currency`` into euros.
    exchange_rate = models.DecimalField(
        _("taux de change"),
        max_digits=18,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Valeur en euros d'une unité de la devise, par exemple 0,921456 pour 1 USD = 0,921456 EUR."),
    )
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    delivery_date = models.DateField(
        _("date de livraison ou d'exécution"),
        null=True,
        blank=True,
        help_text=_("À indiquer si elle diffère de la date d'émission."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
        help_text=_("Laissez vide pour appliquer le délai du client ou de l'entreprise."),
    )
    payment_terms_kind = models.CharField(
        _("règle de paiement"),
        max_length=20,
        choices=[("", _("Celle du client ou de l'entreprise")), *payment_terms.kind_choices(fixed_date=True)],
        blank=True,
    )
    payment_terms_fixed_date = models.DateField(_("date fixe d'échéance"), null=True, blank=True)
    payment_installments = models.CharField(
        _("échéancier"),
        max_length=200,
        blank=True,
        help_text=_("Pour la règle « Échéancier » : par exemple « 30 % à 0 j ; 70 % à 60 j »."),
    )
    # Set at issue: the payments due, as [{"due_date": "2027-01-31", "amount": "360.00"}, …].
    payment_schedule = models.JSONField(default=list, blank=True, editable=False)
    # Set at issue from the organisation: the contractual late-penalty rate agreed with this
    # invoice (% a year), or None for the legal rate (ECB rate + 10 points).
    late_penalty_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    purchase_order = models.CharField(_("référence de commande du client"), max_length=100, blank=True)
    buyer_reference = models.CharField(_("référence acheteur"), max_length=100, blank=True)
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
        help_text=_("Imprimé sur la facture, par exemple « Remise fidélité ». Par défaut : « Remise globale »."),
    )
    notes = models.TextField(_("notes imprimées sur la facture"), blank=True)
    imported_from = models.CharField(max_length=200, blank=True)
    # Document-level allowances and charges imported from an e-invoice (BG-20, BG-21),
    # as JSON lists of ``Adjustment`` fields with their VAT category and rate.
    document_adjustments = models.JSONField(default=list, blank=True)
    # VAT exemption reasons imported from an e-invoice (BT-120, BT-121), as a JSON
    # list of {category, rate, reason, reason_code}; they win over the line wording.
    vat_exemptions = models.JSONField(default=list, blank=True)
    # Amounts have at most 2 decimals, as EN 16931 allows (BR-DEC rules), whatever the currency.
    prepaid_amount = models.DecimalField(_("acomptes déjà versés"), max_digits=14, decimal_places=2, default=ZERO)
    rounding_amount = models.DecimalField(_("arrondi"), max_digits=14, decimal_places=2, default=ZERO)

    total_without_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    total_with_vat = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    document = models.JSONField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    # French warnings set by ``importing.import_invoice_file`` on the draft it returns; not stored.
    import_warnings: list[str]

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issue_date", "-number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], condition=~Q(number=""), name="unique_invoice_number"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="") | (~Q(status="draft") & ~Q(number="")),
                name="number_iff_issued",
            ),
            models.CheckConstraint(
                condition=Q(type_code="381", credited_invoice__isnull=False)
                | (~Q(type_code="381") & Q(credited_invoice__isnull=True)),
                name="credit_note_iff_credited_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            # The list's order (read backwards) and the reports' periods.
            models.Index(fields=["organisation", "issue_date", "number"], name="invoice_org_issue_number"),
            # The dashboard's latest documents.
            models.Index(fields=["organisation", "created_at"], name="invoice_org_created"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded_status = self.status if self.pk else None

    def __str__(self) -> str:
        return self.number or str(_("Brouillon n° %(id)s") % {"id": self.pk})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._loaded_status not in (None, InvoiceStatus.DRAFT):
            raise IssuedInvoiceError(self)
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    def get_absolute_url(self) -> str:
        return reverse("invoicing:detail", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status != InvoiceStatus.DRAFT:
            raise IssuedInvoiceError(self)
        return super().delete(*args, **kwargs)

    def own_payment_term(self) -> payment_terms.PaymentTerm | None:
        """Return the term chosen on this invoice, or None to use the customer's or the organisation's."""
        if self.payment_terms_kind:
            return payment_terms.term_from_fields(
                self.payment_terms_kind,
                self.payment_terms_days,
                self.payment_terms_fixed_date,
                self.payment_installments,
            )
        if self.payment_terms_days is not None:
            return payment_terms.PaymentTerm.net(self.payment_terms_days)
        return None

    def scheduled_payments(self) -> list[payment_terms.ScheduledPayment]:
        """Return the payments due on an issued invoice: its schedule, else the whole amount at the due date."""
        if self.payment_schedule:
            return [
                payment_terms.ScheduledPayment(datetime.date.fromisoformat(raw["due_date"]), Decimal(raw["amount"]))
                for raw in self.payment_schedule
            ]
        if self.due_date is None:
            return []
        return [payment_terms.ScheduledPayment(self.due_date, self.amount_due)]

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def places(self) -> int:
        """Return the decimal places of the invoice's amounts: 0 for JPY, 2 for EUR."""
        return currency_decimals(self.currency)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == DocumentType.CREDIT_NOTE

    @property
    def signed_total_with_vat(self) -> Decimal:
        """The total including VAT as accounting reads it: negative for a credit note."""
        return -self.total_with_vat if self.is_credit_note else self.total_with_vat

    @property
    def signed_total_without_vat(self) -> Decimal:
        return -self.total_without_vat if self.is_credit_note else self.total_without_vat

    def _sum(self, annotation: str, queryset: Callable[[], models.QuerySet[Any]], field: str) -> Decimal:
        """Return an annotation of ``queries.with_balance`` when present, else the sum of ``field`` in ``queryset()``.

        The queryset is built only when the annotation is missing: building it costs more than
        reading the annotation, on every row of a list.
        """
        value = getattr(self, annotation, None)
        if value is None:
            value = queryset().aggregate(total=Sum(field))["total"] or ZERO
        # SQLite returns sums without their decimal places ("500" for 500.00).
        return quantize(Decimal(value), self.places)

    def paid_total(self) -> Decimal:
        """Return the payments recorded on this document; on a credit note, the refunds paid to the customer."""
        return self._sum("paid_amount", lambda: self.payments.all(), "amount")

    def credited_total(self) -> Decimal:
        """Return the amounts due of the invoice's issued credit notes."""
        return self._sum("credited_amount", lambda: self.credit_notes.issued(), "amount_due")

    def refunded_total(self) -> Decimal:
        """Return the refunds recorded on the invoice's issued credit notes."""
        from ardoise.payments.models import Payment

        def refunds() -> models.QuerySet[Payment]:
            return Payment.objects.filter(invoice__credited_invoice=self, invoice__status=InvoiceStatus.ISSUED)

        return self._sum("refunded_amount", refunds, "amount")

    def balance(self) -> Decimal:
        """Return what the customer still owes; negative when the seller owes the customer money.

        For an invoice: amount due − payments − issued credit notes + refunds
        made on those credit notes. For a credit note: minus ``refund_due()``.
        """
        if self.is_credit_note:
            annotated = getattr(self, "balance_amount", None)
            if annotated is not None:
                return quantize(Decimal(annotated), self.places)
            return -self.refund_due()
        return self.amount_due - self.paid_total() - self.credited_total() + self.refunded_total()

    def refund_due(self) -> Decimal:
        """Return what the seller still has to pay back to the customer on this issued credit note.

        A credit note first reduces what the customer owes on the credited
        invoice. Only the part the customer had already paid beyond the
        invoice's new total is refunded, and never more than the credit note.
        """
        if not self.is_credit_note or self.is_draft or self.credited_invoice is None:
            return ZERO
        owed_to_customer = -self.credited_invoice.balance()
        left_on_credit_note = self.amount_due - self.paid_total()
        return max(ZERO, min(left_on_credit_note, owed_to_customer))

    def is_fully_credited(self) -> bool:
        return not self.is_credit_note and self.amount_due > 0 and self.credited_total() >= self.amount_due

    def payment_state(self, today: Any = None) -> PaymentState:
        """Derive the state shown to the user. ``queries.in_state`` computes the same in SQL."""
        if self.is_draft:
            return PaymentState.DRAFT
        if self.is_credit_note:
            return PaymentState.REFUND_DUE if self.balance() < 0 else PaymentState.SETTLED
        if self.is_fully_credited():
            return PaymentState.CANCELLED
        balance = self.balance()
        if balance < 0:
            return PaymentState.REFUND_DUE
        if balance == 0:
            return PaymentState.PAID
        today = today or timezone.localdate()
        if self.due_date and self.due_date < today:
            return PaymentState.OVERDUE
        if self.paid_total() > 0:
            return PaymentState.PARTIALLY_PAID
        return PaymentState.ISSUED


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("catalogue.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("désignation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_service = models.BooleanField(_("prestation de services"), default=True)
    quantity = models.DecimalField(_("quantité"), max_digits=16, decimal_places=4, default=Decimal("1"))
    unit = models.CharField(_("unité"), max_length=3, choices=UNIT_CHOICES, default="C62")
    # The net price (BT-146) per ``base_quantity`` units, after the price discount.
    # Six decimals keep prices finer than a cent exact (0.000125 € per page).
    unit_price = models.DecimalField(_("prix unitaire HT"), max_digits=20, decimal_places=6)
    # The gross price (BT-148) when a price discount applies (BT-147 = gross - net).
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
    # No model choices: the editor offers the French rates (LINE_VAT_RATE_CHOICES), but an
    # imported invoice may carry a foreign rate, such as the 25 % of a Danish supplier.
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
    # Allowances and charges imported from an e-invoice, as JSON lists of
    # ``Adjustment`` fields, when they are richer than a single percentage.
    extra_adjustments = models.JSONField(default=list, blank=True)
    # On a credit note, the invoice line this line credits: it bounds the quantity left to credit.
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_lines"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ligne de facture")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.invoice_id and not Invoice.objects.filter(pk=self.invoice_id, status=InvoiceStatus.DRAFT).exists():
            raise IssuedInvoiceError(self.invoice)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if not self.invoice.is_draft:
            raise IssuedInvoiceError(self.invoice)
        return super().delete(*args, **kwargs)


class IssuedFile(models.Model):
    """The PDF and XML bytes of an issued invoice, stored once and served unchanged."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="files")
    pdf = models.BinaryField()
    xml = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "files of invoice %s" % self.invoice_id
