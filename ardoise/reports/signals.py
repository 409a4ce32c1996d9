"""Keep the report tables in step with the documents, payments and receipts the other apps write.

The handlers run inside the transaction of the service that saves the row,
so the derived tables commit or roll back with it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.payments.models import Payment, Receipt
from ardoise.reports import monthly
from ardoise.reports.breakdowns import store_rows
from ardoise.reports.stored import refresh_accounts, refresh_documents


def connect() -> None:
    post_save.connect(_on_invoice_saved, sender=Invoice, dispatch_uid="reports_invoice_saved")
    post_save.connect(_on_payment_saved, sender=Payment, dispatch_uid="reports_payment_saved")
    post_save.connect(_on_receipt_saved, sender=Receipt, dispatch_uid="reports_receipt_saved")


def _on_invoice_saved(sender: Any, instance: Invoice, **kwargs: Any) -> None:
    # An issued row is saved once: the model refuses any later save.
    if instance.status != InvoiceStatus.ISSUED:
        return
    store_rows([instance])
    monthly.add_issued(instance)
    refresh_documents([instance.pk, instance.credited_invoice_id])
    refresh_accounts([(instance.customer_id, instance.currency)])


def _on_payment_saved(sender: Any, instance: Payment, created: bool = False, **kwargs: Any) -> None:
    # A refund paid on a credit note changes the balance of the invoice the credit note credits: see _related.
    refresh_documents([instance.invoice_id])
    monthly.add_payment(instance)


def _on_receipt_saved(sender: Any, instance: Receipt, **kwargs: Any) -> None:
    refresh_accounts([(instance.customer_id, instance.currency)])
    monthly.add_receipt(instance)
