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
        indexes = [
            # Covering on PostgreSQL: revenue by customer finds the customers of a period in the index alone.
            models.Index(
                fields=["organisation", "issue_date"],
                include=["customer", "taxable_amount_eur"],
                name="vat_row_org_date",
            )
        ]

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
    # On an open document, its customer's payment habit in whole days (``stored.expected_delay``): the
    # expected receipts then read no account. Zero on the other documents.
    expected_delay = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The open documents only: a few percent of the rows once most invoices are paid.
            # Covering on PostgreSQL: the balance reports read the open balances from the index alone.
            models.Index(
                fields=["organisation", "currency", "due_date"],
                include=["customer", "balance", "is_credit_note", "issue_date", "last_moved", "expected_delay"],
                condition=~models.Q(balance=0),
                name="document_balance_open",
            ),
            # Covering on PostgreSQL: the balances on an earlier date start from the documents moved since,
            # and look up each one's later movements by its invoice when the stored figures show some.
            models.Index(
                fields=["organisation", "last_moved"],
                include=[
                    "issue_date",
                    "currency",
                    "is_credit_note",
                    "customer",
                    "due_date",
                    "balance",
                    "invoice",
                    "last_paid_on",
                    "credited",
                    "refunded",
                ],
                name="document_balance_moved",
            ),
            models.Index(fields=["organisation", "last_paid_on"], name="document_balance_paid_on"),
            # A customer's invoices paid in full, latest payment first: their payment habit and history.
            models.Index(
                fields=["customer", "-last_paid_on"],
                include=["currency", "due_date"],
                condition=models.Q(paid=models.F("amount_due"), amount_due__gt=0, is_credit_note=False),
                name="document_balance_settled",
            ),
        ]

    def __str__(self) -> str:
        return "balance %s of invoice %s" % (self.balance, self.invoice_id)


class OpenDueDate(models.Model):
    """The invoices open on one due date, in one currency, added up: derived data.

    ``open_amount`` adds the positive balances and ``open_count`` counts them;
    ``owed_amount`` adds, as a positive amount, what the negative balances
    owe back to customers. Credit notes get no row of their own, as in
    ``balances.invoice_balances``. ``stored.refresh_documents`` rewrites the
    rows of the due dates its documents have. The aging's total row on a
    date after every movement reads these few hundred rows instead of every
    open invoice.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    due_date = models.DateField(null=True)
    open_amount = models.DecimalField(max_digits=14, decimal_places=2)
    owed_amount = models.DecimalField(max_digits=14, decimal_places=2)
    open_count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "currency", "due_date"],
                include=["open_amount", "owed_amount", "open_count"],
                name="open_due_date_org",
            )
        ]

    def __str__(self) -> str:
        return "open on %s: %s %s" % (self.due_date, self.open_amount, self.currency)


class CustomerAccount(models.Model):
    """A customer's account balance (411) in one currency now: derived data.

    Documents issued (credit notes negative), minus money received, plus
    refunds paid, reversals included. ``stored.refresh_accounts`` rewrites it
    from scratch when a document is issued or a receipt recorded. A balance on
    an earlier date starts from a month's closing (``CustomerMonth``).
    The payment habit is rewritten with it, and whenever one of the customer's
    invoices is paid (``stored.refresh_documents``).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    # The customer's payment habit: how many of their last ``stored.HABIT_INVOICES`` invoices were
    # paid in full, and their days from due date to last payment added up (negative when early).
    settled_count = models.PositiveSmallIntegerField(default=0)
    days_late_total = models.IntegerField(default=0)
    # The first day of the customer's first month with a movement; None without any.
    first_month = models.DateField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "currency"], name="unique_customer_account")]
        indexes = [
            models.Index(fields=["organisation", "currency"], name="customer_account_org"),
            # The dashboard's customers who owe the most, read from the top.
            models.Index(fields=["organisation", "currency", "-balance"], name="customer_account_balance"),
        ]

    def __str__(self) -> str:
        return "account of customer %s: %s %s" % (self.customer_id, self.balance, self.currency)


class CustomerMonth(models.Model):
    """How much one customer's account (411) moved in one month, in one currency, and its balance then.

    Derived data. ``change`` is the documents issued that month (credit notes
    negative), minus the money received, plus the refunds paid. ``closing``
    is the account's balance at the month's end. A customer has a row for
    every month from their first movement to their last, months without any
    included, and ``stored.refresh_accounts`` rewrites them with the account.
    The balance on an earlier date is then one month's closing and the
    movements between that month's end and the date: one row per customer
    whatever the date, instead of every later movement.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    month = models.DateField()  # the first day of the month
    change = models.DecimalField(max_digits=14, decimal_places=2)
    closing = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "currency", "month"], name="unique_customer_month"),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "currency", "month"],
                include=["customer", "change", "closing"],
                name="customer_month_org",
            )
        ]

    def __str__(self) -> str:
        return "customer %s, %s: %s %s" % (self.customer_id, self.month, self.change, self.currency)


# Monthly totals: derived data that ``monthly.py`` keeps in step with every write.


class MonthlyRevenue(models.Model):
    """Revenue of the documents issued in one month and one currency, from their VAT breakdown rows.

    ``converted`` rows add up the documents with an exchange rate, in euros.
    The others add them up in their own currency, and the reports list them
    apart. ``credited`` is negative. Rows are only ever added to, when a
    document's VAT rows are written (``monthly.add_documents``), because
    an issued document never changes.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    currency = models.CharField(max_length=3)
    converted = models.BooleanField()
    documents = models.PositiveIntegerField(db_default=0)
    invoiced = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    credited = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    vat = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "currency", "converted"], name="unique_monthly_revenue"
            )
        ]

    def __str__(self) -> str:
        return "revenue of %s in %s" % (self.month, self.currency)


class MonthlyVat(models.Model):
    """VAT collected at one rate in one month, in euros: on débits and on encaissements.

    The débits columns add up the VAT rows of the documents issued in the
    month. The encaissements columns add up, per document, the share of its
    VAT that its payments dated in the month paid, rounded as
    ``queries.vat_collected`` rounds it, so that the months of a period add
    up to the period's figure.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    category = models.CharField(max_length=2)  # BT-118
    rate = models.DecimalField(max_digits=5, decimal_places=2)  # BT-119
    debits_base = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    debits_vat = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    receipts_base = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    receipts_vat = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "category", "rate"], name="unique_monthly_vat")
        ]

    def __str__(self) -> str:
        return "VAT %s %s%% in %s" % (self.category, self.rate, self.month)


class MonthlyInvoicing(models.Model):
    """The signed totals of the documents issued in one month and one currency, for the DSO.

    ``amount_due`` is what the DSO's receivables move by, ``total_with_vat``
    the revenue including VAT it divides by: credit notes count negatively.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    currency = models.CharField(max_length=3)
    documents = models.PositiveIntegerField(db_default=0)
    amount_due = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    total_with_vat = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "currency"], name="unique_monthly_invoicing")
        ]

    def __str__(self) -> str:
        return "invoicing of %s in %s" % (self.month, self.currency)


class MonthlyReceipts(models.Model):
    """The receipts of one month, currency, kind and payment method: reversals count negatively, on their date."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=10)  # payments.ReceiptKind
    method = models.CharField(max_length=20)  # payments.PaymentMethod
    count = models.PositiveIntegerField(db_default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    bank_fees = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "currency", "kind", "method"], name="unique_monthly_receipts"
            )
        ]

    def __str__(self) -> str:
        return "%s %s by %s in %s" % (self.kind, self.currency, self.method, self.month)


class MonthlyProductRevenue(models.Model):
    """Revenue excluding VAT, in euros, of the documents issued in one month, per product.

    ``product`` is the product's id, 0 for the lines without a product. The
    kind ``adjustments`` contains the allowances and charges on the documents'
    totals, as in ``RevenueRow``. Only documents with an exchange rate count.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    kind = models.CharField(max_length=12, choices=RevenueKind)
    # NOTE: a plain id, not a foreign key, so that the lines without a product have a key the unique
    # constraint can match. A deleted product keeps its id here until ``ardoise report rebuild``;
    # the report counts it with the lines without a product.
    product = models.PositiveIntegerField()
    documents = models.PositiveIntegerField(db_default=0)
    invoiced = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    credited = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "kind", "product"], name="unique_monthly_product_revenue"
            )
        ]

    def __str__(self) -> str:
        return "revenue of product %s in %s" % (self.product, self.month)
