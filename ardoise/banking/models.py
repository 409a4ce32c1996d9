from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ardoise.banking.csv_statements import DATE_FORMATS, DELIMITERS, ENCODINGS, CsvLayout
from ardoise.banking.statements import StatementFormat
from ardoise.core.formats import format_iban


class BankAccount(models.Model):
    """A bank account of the organisation, picked by the IBAN a statement names or created by its first import.

    OFX files name the account by bank, branch and account number: when those
    do not make a valid French IBAN, ``number`` keeps them instead.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="bank_accounts")
    name = models.CharField(_("nom du compte"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    number = models.CharField(_("numéro de compte"), max_length=60, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte bancaire")
        verbose_name_plural = _("comptes bancaires")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "iban"], condition=~Q(iban=""), name="bank_account_iban_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "number"], condition=~Q(number=""), name="bank_account_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("banking:account", args=[self.pk])

    @property
    def identifier(self) -> str:
        """The IBAN grouped by four characters, else the bank's account number."""
        return format_iban(self.iban) if self.iban else self.number


class CsvMapping(models.Model):
    """The layout of an account's CSV exports, saved by its first CSV import and editable afterwards.

    Columns are numbered from 1 as a spreadsheet shows them; 0 means the
    export has no such column.
    """

    account = models.OneToOneField(BankAccount, on_delete=models.CASCADE, related_name="csv_mapping")
    delimiter = models.CharField(_("séparateur"), max_length=1, choices=list(DELIMITERS.items()), default=";")
    encoding = models.CharField(_("encodage"), max_length=10, choices=list(ENCODINGS.items()), blank=True)
    skip_rows = models.PositiveSmallIntegerField(
        _("lignes à sauter"), default=0, help_text=_("Lignes sur le compte, avant les titres des colonnes.")
    )
    has_header = models.BooleanField(_("une ligne donne les titres des colonnes"), default=True)
    date_format = models.CharField(
        _("format des dates"), max_length=10, choices=list(DATE_FORMATS.items()), default="%d/%m/%Y"
    )
    decimal_comma = models.BooleanField(_("virgule décimale (1234,56)"), default=True)
    date_column = models.PositiveSmallIntegerField(_("date de l'opération"), default=0)
    value_date_column = models.PositiveSmallIntegerField(_("date de valeur"), default=0)
    amount_column = models.PositiveSmallIntegerField(_("montant (signé)"), default=0)
    debit_column = models.PositiveSmallIntegerField(_("débit"), default=0)
    credit_column = models.PositiveSmallIntegerField(_("crédit"), default=0)
    label_column = models.PositiveSmallIntegerField(_("libellé"), default=0)
    details_column = models.PositiveSmallIntegerField(_("détail du libellé"), default=0)
    counterparty_column = models.PositiveSmallIntegerField(_("tiers"), default=0)
    counterparty_iban_column = models.PositiveSmallIntegerField(_("IBAN du tiers"), default=0)
    reference_column = models.PositiveSmallIntegerField(_("référence"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("correspondance des colonnes CSV")

    def __str__(self) -> str:
        return str(_("Colonnes CSV de %(account)s") % {"account": self.account})

    def layout(self) -> CsvLayout:
        return CsvLayout(**{name: getattr(self, name) for name in CsvLayout.field_names()})

    def set_layout(self, layout: CsvLayout) -> None:
        for name in CsvLayout.field_names():
            setattr(self, name, getattr(layout, name))


class StatementImport(models.Model):
    """One statement file imported into one account, with what the import did.

    The counts are those of the import itself: later confirmations and undos
    change the transactions' states, not these figures.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="statement_imports"
    )
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(_("fichier"), max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(_("format"), max_length=10, choices=StatementFormat)
    period_start = models.DateField(_("du"), null=True, blank=True)
    period_end = models.DateField(_("au"), null=True, blank=True)
    transaction_count = models.PositiveIntegerField(_("opérations importées"), default=0)
    duplicate_count = models.PositiveIntegerField(_("opérations déjà importées"), default=0)
    matched_count = models.PositiveIntegerField(_("rapprochées"), default=0)
    proposed_count = models.PositiveIntegerField(_("proposées"), default=0)
    created_at = models.DateTimeField(_("importé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("relevé importé")
        verbose_name_plural = _("relevés importés")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "sha256"], name="statement_file_imported_once"),
        ]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("banking:statement", args=[self.pk])


class TransactionState(models.TextChoices):
    UNMATCHED = "unmatched", _("À rapprocher")
    PROPOSED = "proposed", _("Proposée")
    MATCHED = "matched", _("Rapprochée")
    IGNORED = "ignored", _("Ignorée")


class MatchConfidence(models.TextChoices):
    SURE = "sure", _("Certaine")
    LIKELY = "likely", _("Probable")


class MatchReason(models.TextChoices):
    REFERENCE = "reference", _("Numéro de facture dans le libellé, montant exact")
    REFERENCE_AMOUNT = "reference_amount", _("Numéro de facture dans le libellé, montant différent")
    IBAN = "iban", _("IBAN connu du client, montant exact")
    NAME = "name", _("Nom du client, montant exact")
    MANUAL = "manual", _("Rapprochement manuel")


class BankTransaction(models.Model):
    """One movement on a bank account, read from a statement, and how it is matched.

    ``dedup_key`` identifies the movement within its account, so that
    importing a statement again, or an overlapping one, adds nothing twice.
    It is the bank's own transaction id when the file gives one. Otherwise it
    is a hash of the date, amount, label and rank among identical movements
    of the same day. A matched transaction points to the receipt it
    recorded, and undoing the match reverses that receipt and clears the link.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="bank_transactions"
    )
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="transactions")
    statement_import = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="transactions")
    booking_date = models.DateField(_("date"))
    value_date = models.DateField(_("date de valeur"), null=True, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    label = models.TextField(_("libellé"), blank=True)
    remittance = models.TextField(_("motif du paiement"), blank=True)
    counterparty_name = models.CharField(_("tiers"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("IBAN du tiers"), max_length=34, blank=True)
    bank_id = models.CharField(_("identifiant bancaire"), max_length=255, blank=True)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=255, blank=True)
    dedup_key = models.CharField(max_length=300)
    state = models.CharField(_("état"), max_length=10, choices=TransactionState, default=TransactionState.UNMATCHED)
    confidence = models.CharField(_("confiance"), max_length=10, choices=MatchConfidence, blank=True)
    match_reason = models.CharField(_("motif du rapprochement"), max_length=20, choices=MatchReason, blank=True)
    # What the matching suggests: the customer (also a hint for manual matching) and the invoices.
    proposed_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_invoices = models.ManyToManyField("invoicing.Invoice", blank=True, related_name="+")
    receipt = models.OneToOneField(
        "payments.Receipt", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_transaction"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    # The user who confirmed or matched by hand; empty for an automatic match.
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("opération bancaire")
        verbose_name_plural = _("opérations bancaires")
        ordering = ["-booking_date", "-id"]
        indexes = [models.Index(fields=["organisation", "state", "booking_date"], name="bank_tx_org_state_date")]
        constraints = [
            models.UniqueConstraint(fields=["account", "dedup_key"], name="bank_transaction_once_per_account"),
            models.CheckConstraint(
                condition=Q(state="matched", receipt__isnull=False) | (~Q(state="matched") & Q(receipt__isnull=True)),
                name="bank_transaction_matched_iff_receipt",
            ),
        ]

    def __str__(self) -> str:
        from ardoise.core.formats import format_amount, format_date

        return "%s %s %s" % (format_date(self.booking_date), format_amount(self.amount, self.currency), self.label)

    def get_absolute_url(self) -> str:
        return reverse("banking:transaction", args=[self.pk])

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    def matching_text(self) -> str:
        """Return the texts in which the payer may have written an invoice number."""
        return " ".join(filter(None, [self.label, self.remittance, self.end_to_end_id]))


class CounterpartyAlias(models.Model):
    """An IBAN or a name seen on a customer's payment, remembered when the match was confirmed or certain.

    The next transfer from that IBAN identifies the customer for certain;
    ``name`` is stored normalised (``matching.normalise_name``).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="counterparty_aliases"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="bank_aliases")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    name = models.CharField(_("nom"), max_length=140, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payeur connu")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "iban"], condition=~Q(iban=""), name="counterparty_alias_iban_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"], condition=Q(iban=""), name="counterparty_alias_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.iban or self.name


class StatementUpload(models.Model):
    """A CSV statement kept while the user checks its column layout; deleted by the import or after a day."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("relevé CSV en attente")

    def __str__(self) -> str:
        return self.file_name

    def data(self) -> bytes:
        content: Any = self.content
        return bytes(content)
