"""Recording customer payments against issued invoices."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import format_decimal_input
from ardoise.core.money import currency_decimals, quantize
from ardoise.integrity.services import append_payment
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice, InvoiceStatus
from ardoise.payments.models import Payment, PaymentMethod

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


class PaymentError(InvoicingError):
    """A payment that cannot be recorded. ``message`` explains why and what to do, in French.

    ``field`` names the payment form field at fault ("amount" or "date"), or is
    None when the invoice itself does not accept payments.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def record_payment(
    invoice: Invoice,
    amount: Decimal,
    date: datetime.date,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    *,
    user: Any = None,
    request: Any = None,
) -> Payment:
    """Record a payment received for an issued invoice.

    The organisation row is locked, as ``issue_invoice`` does, so that the
    payment extends the organisation's hash chain in order. The invoice row is
    locked while the balance is checked, so that two payments recorded at the
    same time cannot together exceed the balance.
    """
    if not isinstance(amount, Decimal):
        raise TypeError("record_payment() needs a Decimal amount, got %r" % type(amount).__name__)

    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=invoice.organisation_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check_payment(invoice, amount, date)
        payment = Payment.objects.create(
            organisation=invoice.organisation,
            invoice=invoice,
            date=date,
            amount=amount,
            method=method,
            reference=reference,
            created_by=user if getattr(user, "pk", None) else None,
        )
        append_payment(payment)
        data = {"number": invoice.number, "amount": str(amount), "date": date.isoformat(), "method": method}
        record(invoice.organisation, "payment.recorded", payment, user=user, request=request, data=data)

    logger.info(
        "payment recorded organisation=%s invoice=%s payment=%s", invoice.organisation_id, invoice.pk, payment.pk
    )
    return payment


def reverse_payment(payment: Payment, *, user: Any = None, request: Any = None) -> Payment:
    """Cancel a payment recorded by mistake with a reversal: a payment of the opposite amount, dated today.

    Recorded payments never change, so the original stays in the books and the
    reversal points to it. Together they add up to zero.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=payment.organisation_id)
        payment = Payment.objects.select_related("invoice").get(pk=payment.pk)
        if payment.is_reversal:
            raise PaymentError(_("Cette ligne annule déjà un paiement : elle ne peut pas être annulée à son tour."))
        if Payment.objects.filter(reverses=payment).exists():
            raise PaymentError(_("Le paiement du %(date)s est déjà annulé.") % {"date": format_date(payment.date)})
        reversal = Payment.objects.create(
            organisation_id=payment.organisation_id,
            invoice=payment.invoice,
            date=timezone.localdate(),
            amount=-payment.amount,
            method=payment.method,
            reference=_("Annulation du paiement du %(date)s") % {"date": format_date(payment.date)},
            reverses=payment,
            created_by=user if getattr(user, "pk", None) else None,
        )
        append_payment(reversal)
        data = {"number": payment.invoice.number, "amount": str(reversal.amount), "reverses": payment.pk}
        record(payment.invoice.organisation, "payment.reversed", reversal, user=user, request=request, data=data)

    logger.info(
        "payment reversed organisation=%s payment=%s reversal=%s", payment.organisation_id, payment.pk, reversal.pk
    )
    return reversal


def _check_payment(invoice: Invoice, amount: Decimal, date: datetime.date) -> None:
    """Raise ``PaymentError`` unless the payment fits the invoice: issued, positive, within the balance and dates."""
    currency = invoice.currency
    if invoice.status == InvoiceStatus.DRAFT:
        raise PaymentError(
            _("Un paiement ne peut être enregistré que sur une facture émise : émettez d'abord ce brouillon.")
        )
    if amount <= ZERO:
        raise PaymentError(
            _("Le montant du paiement doit être positif (%(amount)s saisi).")
            % {"amount": format_amount(amount, currency)},
            field="amount",
        )
    places = currency_decimals(currency)
    if amount != quantize(amount, places):
        raise PaymentError(
            _("Le montant %(amount)s a trop de décimales pour la devise %(currency)s : %(places)s au plus.")
            % {"amount": format_decimal_input(amount, 0), "currency": currency, "places": places},
            field="amount",
        )

    if invoice.is_credit_note:
        _check_refund(invoice, amount)
        return _check_date(invoice, date)

    if invoice.is_fully_credited():
        raise PaymentError(
            _("La facture %(number)s est annulée par avoir : aucun paiement ne peut y être ajouté.")
            % {"number": invoice.number}
        )
    balance = invoice.balance()
    if balance <= ZERO:
        raise PaymentError(
            _("La facture %(number)s est déjà entièrement payée : aucun paiement ne peut y être ajouté.")
            % {"number": invoice.number}
        )
    if amount > balance:
        raise PaymentError(
            _(
                "Le paiement de %(amount)s dépasse le reste à payer de la facture %(number)s (%(balance)s). "
                "Enregistrez au plus %(balance)s : les trop-perçus et avoirs clients ne sont pas encore gérés."
            )
            % {
                "amount": format_amount(amount, currency),
                "number": invoice.number,
                "balance": format_amount(balance, currency),
            },
            field="amount",
        )
    _check_date(invoice, date)


def _check_refund(credit_note: Invoice, amount: Decimal) -> None:
    """Raise ``PaymentError`` unless ``amount`` fits what is left to refund to the customer on the credit note.

    On a credit note, ``record_payment`` records a refund paid to the customer.
    """
    currency = credit_note.currency
    # What is left to refund depends on the credited invoice's payments: lock its row too.
    Invoice.objects.select_for_update().filter(pk=credit_note.credited_invoice_id or 0).exists()
    due = credit_note.refund_due()
    if due <= ZERO:
        raise PaymentError(
            _(
                "L'avoir %(number)s ne laisse rien à rembourser : il est déduit de ce que le client doit "
                "encore sur la facture, ou déjà remboursé."
            )
            % {"number": credit_note.number}
        )
    if amount > due:
        raise PaymentError(
            _("Le remboursement de %(amount)s dépasse le montant à rembourser sur l'avoir %(number)s (%(due)s).")
            % {
                "amount": format_amount(amount, currency),
                "number": credit_note.number,
                "due": format_amount(due, currency),
            },
            field="amount",
        )


def _check_date(invoice: Invoice, date: datetime.date) -> None:
    if invoice.issue_date and date < invoice.issue_date:
        raise PaymentError(
            _("La date du paiement (%(date)s) précède la date d'émission de la facture (%(issued)s).")
            % {"date": format_date(date), "issued": format_date(invoice.issue_date)},
            field="date",
        )
    today = timezone.localdate()
    if date > today:
        raise PaymentError(
            _("La date du paiement (%(date)s) est dans le futur : enregistrez le paiement une fois reçu.")
            % {"date": format_date(date)},
            field="date",
        )
