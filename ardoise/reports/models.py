"""Per-document figures that the VAT and revenue reports add up in SQL.

An issued invoice keeps its VAT breakdown (BG-23) and its line net amounts
only inside its JSON snapshot, where the database cannot sum them. These two
tables copy them out once, when the document is issued, so that a report over
100,000 invoices is a GROUP BY instead of a loop that decodes every snapshot.
They are derived data: ``breakdowns.fill_missing`` rebuilds the rows of any
issued document that has none, from the same snapshot and the same money
module as the PDF, so the figures match the printed invoice to the cent.

Amounts are signed: negative on a credit note, so that a plain SUM nets
invoices and credit notes. The ``_eur`` amounts are in euros: equal to the
amount for a document in euros, converted with the document's exchange rate
otherwise, and NULL for a document in another currency issued without a rate.
"""

from __future__ import annotations

from django.db import models


class VatBreakdownRow(models.Model):
    """One VAT breakdown row (BG-23) of an issued invoice or credit note."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="vat_rows")
    # Copied from the invoice, which never changes once issued, so that reports filter without a join.
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    issue_date = models.DateField()
    currency = models.CharField(max_length=3)
    is_credit_note = models.BooleanField(default=False)
    category = models.CharField(max_length=2)  # BT-118
    rate = models.DecimalField(max_digits=5, decimal_places=2)  # BT-119
    taxable_amount = models.DecimalField(max_digits=14, decimal_places=2)  # BT-116, signed
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2)  # BT-117, signed
    taxable_amount_eur = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    tax_amount_eur = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "category", "rate"], name="unique_vat_row_per_group"),
        ]
        indexes = [models.Index(fields=["organisation", "issue_date"], name="vat_row_org_date")]

    def __str__(self) -> str:
        return "VAT %s %s%% of invoice %s" % (self.category, self.rate, self.invoice_id)


class RevenueKind(models.TextChoices):
    LINES = "lines"  # the net amounts of the document's lines of one product, or of its free lines
    ADJUSTMENTS = "adjustments"  # document-level allowances (negative) and charges (positive)


class RevenueRow(models.Model):
    """The net amount (excluding VAT) of one issued document for one product.

    Lines without a product add up in one row with ``product`` empty. The
    document-level allowances and charges, which belong to no line, make a
    row of kind ``adjustments``, so the rows of a document add up to its
    total excluding VAT (BT-109).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="revenue_rows")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    issue_date = models.DateField()
    currency = models.CharField(max_length=3)
    is_credit_note = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)  # the row's rank within its document
    kind = models.CharField(max_length=12, choices=RevenueKind, default=RevenueKind.LINES)
    product = models.ForeignKey("catalogue.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    net_amount = models.DecimalField(max_digits=14, decimal_places=2)  # signed
    net_amount_eur = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="unique_revenue_row_position")]
        indexes = [models.Index(fields=["organisation", "issue_date"], name="revenue_row_org_date")]

    def __str__(self) -> str:
        return "revenue %s of invoice %s" % (self.product_id or self.kind, self.invoice_id)


class SettledInvoice(models.Model):
    """An invoice whose balance has been zero since ``settled_on``, the date of its last movement.

    The balance reports skip these invoices for any date from ``settled_on``
    on, instead of adding up their payments again. The row is deleted as soon
    as the invoice gets a new movement (a payment, a reversal, a credit note
    or a refund on one: ``breakdowns.forget_settled``), and written again by
    the next report that finds the balance back at zero.
    """

    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.CASCADE, primary_key=True, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    settled_on = models.DateField()

    def __str__(self) -> str:
        return "invoice %s settled on %s" % (self.invoice_id, self.settled_on)


class DocumentBalance(models.Model):
    """What an issued document's balance is now, and the date of its last movement: derived data.

    ``stored.refresh_documents`` rewrites the row from scratch, with the same
    SQL as ``invoicing.queries.with_balance``, in the transaction that issues
    the document or records a payment on it, on a credit note of it or on the
    invoice a credit note credits (``signals``). The invoice list reads the
    balances here instead of adding up the payments of every invoice, and the
    balance reports take the balance on a date from here for every invoice that
    has not moved since that date. ``ardoise report refresh`` rebuilds every row.

    ``paid``, ``credited``, ``refunded`` and ``balance`` mean what the
    annotations of ``with_balance`` mean. ``last_moved`` is the latest date of
    the document's issue, its payments, its issued credit notes and the
    refunds on them; ``last_paid_on`` the latest date of its own payments.
    """

    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.CASCADE, primary_key=True, related_name="stored_balance"
    )
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    # Copied from the document, which never changes once issued, so that reports read one table.
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    is_credit_note = models.BooleanField(default=False)
    issue_date = models.DateField()
    due_date = models.DateField(null=True)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    paid = models.DecimalField(max_digits=14, decimal_places=2)
    credited = models.DecimalField(max_digits=14, decimal_places=2)
    refunded = models.DecimalField(max_digits=14, decimal_places=2)
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    last_paid_on = models.DateField(null=True)
    last_moved = models.DateField()

    class Meta:
        indexes = [
            # The open documents only: a few percent of the rows once most invoices are paid.
            models.Index(
                fields=["organisation", "currency", "due_date"],
                condition=~models.Q(balance=0),
                name="document_balance_open",
            ),
            models.Index(fields=["organisation", "last_moved"], name="document_balance_moved"),
            models.Index(fields=["organisation", "last_paid_on"], name="document_balance_paid_on"),
        ]

    def __str__(self) -> str:
        return "balance %s of invoice %s" % (self.balance, self.invoice_id)


class CustomerAccount(models.Model):
    """A customer's account balance (411) in one currency now: derived data.

    Documents issued (credit notes negative), minus money received, plus
    refunds paid, reversals included. ``stored.refresh_accounts`` rewrites it
    from scratch when a document is issued or a receipt recorded. A balance on
    an earlier date is this one minus the movements dated after that date.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    balance = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "currency"], name="unique_customer_account")]
        indexes = [models.Index(fields=["organisation", "currency"], name="customer_account_org")]

    def __str__(self) -> str:
        return "account of customer %s: %s %s" % (self.customer_id, self.balance, self.currency)
