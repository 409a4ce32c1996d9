"""Recording money received from customers and refunded to them, and the invoices it settles."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.audit.services import record
from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import format_decimal_input
from ardoise.core.money import currency_decimals, quantize
from ardoise.customers.models import Customer
from ardoise.integrity.services import append_payment, append_receipt
from ardoise.invoicing import queries
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import DocumentType, Invoice, InvoiceStatus
from ardoise.payments.models import Payment, PaymentMethod, Receipt, ReceiptKind

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# Amount columns hold 14 digits, 2 of them decimals.
MAX_AMOUNT = Decimal("1000000000000")


class PaymentError(InvoicingError):
    """A payment that cannot be recorded. ``message`` explains why and what to do, in French.

    ``field`` names the payment form field at fault ("amount" or "date"), or is
    None when the invoice itself does not accept payments.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def receive_payment(
    customer: Customer,
    amount: Decimal,
    date: datetime.date,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    *,
    currency: str = "EUR",
    bank_fees: Decimal = ZERO,
    allocations: Sequence[tuple[Invoice, Decimal]] | None = None,
    user: Any = None,
    request: Any = None,
) -> Receipt:
    """Record money received from a customer and settle invoices with it.

    ``allocations`` lists ``(invoice, amount)`` pairs; None settles the
    customer's open invoices oldest due first, and an empty list settles
    nothing. What is not allocated becomes the customer's credit. Every
    allocation is checked against the invoice's balance with the invoice row
    locked, and the organisation row is locked so that payments extend the
    hash chain in order.
    """
    _check_amount(amount, currency)
    _check_receipt_date(date)
    _check_fees(bank_fees, amount, currency)
    _check_reference(reference)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=customer.organisation_id)
        if allocations is None:
            allocations = automatic_allocations(customer, amount, date, currency)
        planned = _lock_allocations(customer, allocations, date, currency)
        allocated = sum((share for _invoice, share in planned), ZERO)
        if allocated > amount:
            raise PaymentError(
                _("Les montants affectés aux factures (%(allocated)s) dépassent le montant reçu (%(amount)s).")
                % {"allocated": format_amount(allocated, currency), "amount": format_amount(amount, currency)},
                field="allocations",
            )
        receipt = _create_receipt(
            customer, ReceiptKind.RECEIVED, date, amount, currency, method, reference, user, bank_fees=bank_fees
        )
        data = {"amount": str(amount), "date": date.isoformat(), "method": method, "customer": customer.name}
        if bank_fees:
            data["bank_fees"] = str(bank_fees)
        if amount > allocated:
            data["credit"] = str(amount - allocated)
        record(customer.organisation, "receipt.recorded", receipt, user=user, request=request, data=data)
        for invoice, share in planned:
            _settle(receipt, invoice, share, date, user=user, request=request)

    logger.info(
        "receipt recorded organisation=%s customer=%s receipt=%s allocations=%s",
        customer.organisation_id,
        customer.pk,
        receipt.pk,
        len(planned),
    )
    return receipt


def record_payment(
    invoice: Invoice,
    amount: Decimal,
    date: datetime.date,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    *,
    bank_fees: Decimal = ZERO,
    user: Any = None,
    request: Any = None,
) -> Payment:
    """Record a payment received for one invoice, or a refund paid on one credit note.

    The payment is a receipt of its own. On an invoice, what exceeds the
    balance becomes the customer's credit; on a credit note, the refund may not
    exceed what is left to refund. ``bank_fees`` is what the bank kept of a
    payment received; a refund has none.
    """
    if not isinstance(amount, Decimal):
        raise TypeError("record_payment() needs a Decimal amount, got %r" % type(amount).__name__)
    if invoice.is_credit_note:
        if bank_fees:
            raise PaymentError(
                _("Les frais bancaires s'enregistrent sur un paiement reçu, pas sur un remboursement."),
                field="bank_fees",
            )
        return _record_refund(invoice, amount, date, method, reference, user=user, request=request)

    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=invoice.organisation_id)
        invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
        _check_payment(invoice, amount, date)
        share = min(amount, invoice.balance())
        receipt = receive_payment(
            invoice.customer,
            amount,
            date,
            method,
            reference,
            currency=invoice.currency,
            bank_fees=bank_fees,
            allocations=[(invoice, share)],
            user=user,
            request=request,
        )
    return receipt.payments.get()


def _record_refund(
    credit_note: Invoice,
    amount: Decimal,
    date: datetime.date,
    method: str,
    reference: str,
    *,
    user: Any = None,
    request: Any = None,
) -> Payment:
    _check_reference(reference)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=credit_note.organisation_id)
        credit_note = Invoice.objects.select_for_update().select_related("customer").get(pk=credit_note.pk)
        _check_payment(credit_note, amount, date)
        receipt = _create_receipt(
            credit_note.customer, ReceiptKind.REFUND, date, amount, credit_note.currency, method, reference, user
        )
        data = {"amount": str(amount), "date": date.isoformat(), "method": method, "number": credit_note.number}
        record(credit_note.organisation, "refund.recorded", receipt, user=user, request=request, data=data)
        return _settle(receipt, credit_note, amount, date, user=user, request=request)


def refund_credit(
    customer: Customer,
    amount: Decimal,
    date: datetime.date,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    *,
    currency: str = "EUR",
    user: Any = None,
    request: Any = None,
) -> Receipt:
    """Pay back part or all of a customer's credit."""
    _check_amount(amount, currency)
    _check_receipt_date(date)
    _check_reference(reference)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=customer.organisation_id)
        credit = customer_credit(customer, currency)
        if amount > credit:
            raise PaymentError(
                _("Le remboursement de %(amount)s dépasse le crédit du client %(customer)s (%(credit)s).")
                % {
                    "amount": format_amount(amount, currency),
                    "customer": customer.name,
                    "credit": format_amount(credit, currency),
                },
                field="amount",
            )
        receipt = _create_receipt(customer, ReceiptKind.REFUND, date, amount, currency, method, reference, user)
        data = {"amount": str(amount), "date": date.isoformat(), "method": method, "customer": customer.name}
        record(customer.organisation, "credit.refunded", receipt, user=user, request=request, data=data)
    logger.info(
        "credit refunded organisation=%s customer=%s receipt=%s", customer.organisation_id, customer.pk, receipt.pk
    )
    return receipt


def apply_credit(
    invoice: Invoice, amount: Decimal | None = None, *, user: Any = None, request: Any = None
) -> list[Payment]:
    """Settle an invoice with the customer's credit, dated today; None applies as much as possible.

    The credit comes from the customer's receipts that are not fully
    allocated, oldest first, so each payment still names the money it comes from.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=invoice.organisation_id)
        invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
        currency = invoice.currency
        credit = customer_credit(invoice.customer, currency)
        if invoice.is_draft or invoice.is_credit_note:
            raise PaymentError(_("Le crédit client ne s'applique qu'à une facture émise."))
        balance = invoice.balance()
        if credit <= ZERO:
            raise PaymentError(
                _("Le client %(customer)s n'a pas de crédit à appliquer.") % {"customer": invoice.customer.name}
            )
        if balance <= ZERO:
            raise PaymentError(_("La facture %(number)s ne laisse rien à payer.") % {"number": invoice.number})
        if amount is None:
            amount = min(credit, balance)
        _check_amount(amount, currency)
        if amount > min(credit, balance):
            raise PaymentError(
                _(
                    "%(amount)s dépasse ce qui peut être appliqué : crédit du client %(credit)s, "
                    "reste à payer de la facture %(number)s %(balance)s."
                )
                % {
                    "amount": format_amount(amount, currency),
                    "credit": format_amount(credit, currency),
                    "number": invoice.number,
                    "balance": format_amount(balance, currency),
                },
                field="amount",
            )
        today = timezone.localdate()
        payments = []
        left = amount
        for receipt in _receipts_with_credit(invoice.customer, currency):
            share = min(left, receipt.unallocated())
            payments.append(_settle(receipt, invoice, share, today, user=user, request=request, from_credit=True))
            left -= share
            if left == ZERO:
                break
    logger.info(
        "credit applied organisation=%s invoice=%s payments=%s", invoice.organisation_id, invoice.pk, len(payments)
    )
    return payments


def reverse_receipt(receipt: Receipt, *, user: Any = None, request: Any = None) -> Receipt:
    """Cancel a receipt recorded by mistake: reverse each of its payments, then the receipt itself.

    Recorded rows never change: the reversals point to the originals, dated
    today, and together they add up to zero. A received receipt whose credit
    was already refunded or applied elsewhere cannot be reversed before that is undone.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=receipt.organisation_id)
        receipt = Receipt.objects.select_related("customer").get(pk=receipt.pk)
        if receipt.is_reversal:
            raise PaymentError(_("Cette ligne annule déjà un encaissement : elle ne peut pas être annulée à son tour."))
        if Receipt.objects.filter(reverses=receipt).exists():
            raise PaymentError(_("L'encaissement du %(date)s est déjà annulé.") % {"date": format_date(receipt.date)})
        if not receipt.is_refund and receipt.unallocated() > customer_credit(receipt.customer, receipt.currency):
            raise PaymentError(
                _(
                    "Le crédit que cet encaissement a laissé au client a déjà été remboursé : "
                    "annulez d'abord ce remboursement."
                )
            )
        today = timezone.localdate()
        reference = _("Annulation de l'encaissement du %(date)s") % {"date": format_date(receipt.date)}
        reversal = _create_receipt(
            receipt.customer,
            receipt.kind,
            today,
            -receipt.amount,
            receipt.currency,
            receipt.method,
            reference,
            user,
            reverses=receipt,
        )
        data = {"amount": str(reversal.amount), "reverses": receipt.pk, "customer": receipt.customer.name}
        record(receipt.customer.organisation, "receipt.reversed", reversal, user=user, request=request, data=data)
        live = receipt.payments.filter(reverses__isnull=True, reversal__isnull=True).select_related("invoice")
        for payment in live:
            _reverse_one(payment, reversal, today, user=user, request=request)
    logger.info(
        "receipt reversed organisation=%s receipt=%s reversal=%s", receipt.organisation_id, receipt.pk, reversal.pk
    )
    return reversal


def reverse_payment(payment: Payment, *, user: Any = None, request: Any = None) -> Payment:
    """Cancel a payment recorded by mistake with a reversal: a payment of the opposite amount, dated today.

    When the payment is all that is left of its receipt, the whole receipt is
    reversed: the money was not received. Otherwise only this payment is, and
    its amount goes back to the customer's credit. A payment made from customer
    credit (``apply_credit``) also goes back to the credit, because the money
    was received before and stays received.
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=payment.organisation_id)
        payment = Payment.objects.select_related("invoice", "receipt").get(pk=payment.pk)
        if payment.is_reversal:
            raise PaymentError(_("Cette ligne annule déjà un paiement : elle ne peut pas être annulée à son tour."))
        if Payment.objects.filter(reverses=payment).exists():
            raise PaymentError(_("Le paiement du %(date)s est déjà annulé.") % {"date": format_date(payment.date)})
        receipt = payment.receipt
        others = receipt.payments.filter(reverses__isnull=True, reversal__isnull=True).exclude(pk=payment.pk)
        only_payment = receipt.unallocated() == ZERO and not others.exists()
        if only_payment and not receipt.is_reversed and not payment.from_credit:
            reversal_receipt = reverse_receipt(receipt, user=user, request=request)
            return reversal_receipt.payments.get(reverses=payment)
        return _reverse_one(payment, receipt, timezone.localdate(), user=user, request=request)


def customer_credit(customer: Customer, currency: str = "EUR") -> Decimal:
    """Return what the business owes the customer outside credit notes: overpayments not applied or refunded."""
    receipts = Receipt.objects.filter(customer=customer, currency=currency)
    received = receipts.filter(kind=ReceiptKind.RECEIVED)
    refunded = receipts.filter(kind=ReceiptKind.REFUND)
    payments = Payment.objects.filter(receipt__customer=customer, receipt__currency=currency)

    def total(queryset: QuerySet[Any]) -> Decimal:
        return queryset.aggregate(total=Sum("amount"))["total"] or ZERO

    unallocated_received = total(received) - total(payments.filter(receipt__kind=ReceiptKind.RECEIVED))
    unallocated_refunds = total(refunded) - total(payments.filter(receipt__kind=ReceiptKind.REFUND))
    return quantize(Decimal(unallocated_received - unallocated_refunds), currency_decimals(currency))


def open_invoices(customer: Customer, currency: str = "EUR") -> QuerySet[Any]:
    """Return the customer's issued invoices with something left to pay, oldest due first."""
    invoices = Invoice.objects.filter(customer=customer, currency=currency).issued()
    invoices = invoices.exclude(type_code=DocumentType.CREDIT_NOTE)
    # QuerySet[Any]: django-stubs cannot see the ``balance_amount`` annotation.
    annotated: QuerySet[Any] = queries.with_balance(invoices)
    return annotated.filter(balance_amount__gt=ZERO).order_by(F("due_date").asc(nulls_last=True), "issue_date", "id")


def automatic_allocations(
    customer: Customer, amount: Decimal, date: datetime.date, currency: str = "EUR"
) -> list[tuple[Invoice, Decimal]]:
    """Split ``amount`` over the customer's open invoices issued by ``date``, oldest due first."""
    allocations = []
    left = amount
    for invoice in open_invoices(customer, currency).filter(issue_date__lte=date):
        if left == ZERO:
            break
        share = min(left, invoice.balance())
        allocations.append((invoice, share))
        left -= share
    return allocations


def _lock_allocations(
    customer: Customer, allocations: Sequence[tuple[Invoice, Decimal]], date: datetime.date, currency: str
) -> list[tuple[Invoice, Decimal]]:
    """Lock each invoice row and check the allocation against its balance; drop zero allocations."""
    planned = []
    seen = set()
    for invoice, share in allocations:
        if share == ZERO:
            continue
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.pk in seen:
            raise PaymentError(
                _("La facture %(number)s apparaît deux fois dans la répartition.") % {"number": invoice.number},
                field="allocations",
            )
        seen.add(invoice.pk)
        if invoice.customer_id != customer.pk or invoice.organisation_id != customer.organisation_id:
            raise PaymentError(
                _("La facture %(number)s n'est pas une facture du client %(customer)s.")
                % {"number": invoice.number or invoice.pk, "customer": customer.name},
                field="allocations",
            )
        if invoice.is_credit_note:
            raise PaymentError(
                _("%(number)s est un avoir : un encaissement ne peut régler que des factures.")
                % {"number": invoice.number},
                field="allocations",
            )
        if invoice.currency != currency:
            raise PaymentError(
                _("La facture %(number)s est en %(invoice_currency)s, l'encaissement en %(currency)s.")
                % {"number": invoice.number, "invoice_currency": invoice.currency, "currency": currency},
                field="allocations",
            )
        _check_amount(share, currency)
        _check_payment(invoice, share, date)
        if share > invoice.balance():
            raise PaymentError(
                _("%(amount)s dépasse le reste à payer de la facture %(number)s (%(balance)s).")
                % {
                    "amount": format_amount(share, currency),
                    "number": invoice.number,
                    "balance": format_amount(invoice.balance(), currency),
                },
                field="allocations",
            )
        planned.append((invoice, share))
    return planned


def _receipts_with_credit(customer: Customer, currency: str) -> list[Receipt]:
    """Return the customer's received receipts (not reversals) with an unallocated part, oldest first."""
    receipts = Receipt.objects.filter(
        customer=customer, currency=currency, kind=ReceiptKind.RECEIVED, reverses__isnull=True, reversal__isnull=True
    ).order_by("date", "id")
    return [receipt for receipt in receipts if receipt.unallocated() > ZERO]


def _create_receipt(
    customer: Customer,
    kind: str,
    date: datetime.date,
    amount: Decimal,
    currency: str,
    method: str,
    reference: str,
    user: Any,
    *,
    bank_fees: Decimal = ZERO,
    reverses: Receipt | None = None,
) -> Receipt:
    """Create and chain a receipt; the caller's transaction must hold the organisation's row lock."""
    receipt = Receipt.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        kind=kind,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        bank_fees=bank_fees,
        reverses=reverses,
        created_by=_user_or_none(user),
    )
    append_receipt(receipt)
    return receipt


def _settle(
    receipt: Receipt,
    invoice: Invoice,
    amount: Decimal,
    date: datetime.date,
    *,
    user: Any,
    request: Any,
    from_credit: bool = False,
) -> Payment:
    """Create, chain and log the payment of ``amount`` from ``receipt`` on ``invoice``."""
    payment = Payment.objects.create(
        organisation_id=receipt.organisation_id,
        invoice=invoice,
        receipt=receipt,
        from_credit=from_credit,
        date=date,
        amount=amount,
        method=receipt.method,
        reference=receipt.reference[:100],
        created_by=_user_or_none(user),
    )
    append_payment(payment)
    data = {"number": invoice.number, "amount": str(amount), "date": date.isoformat(), "method": receipt.method}
    action = "credit.applied" if from_credit else "payment.recorded"
    record(invoice.organisation, action, payment, user=user, request=request, data=data)
    logger.info(
        "payment recorded organisation=%s invoice=%s payment=%s", invoice.organisation_id, invoice.pk, payment.pk
    )
    return payment


def _reverse_one(payment: Payment, receipt: Receipt, date: datetime.date, *, user: Any, request: Any) -> Payment:
    """Reverse one payment; ``receipt`` is the reversal receipt, or the original one when only the payment is undone."""
    invoice = payment.invoice
    if not invoice.is_credit_note and invoice.refunded_total() > ZERO:
        # The refunds paid back part of this money: without it they would be paid twice.
        raise PaymentError(
            _(
                "Des remboursements ont été versés au client sur les avoirs de la facture %(number)s : "
                "annulez d'abord ces remboursements, puis ce paiement."
            )
            % {"number": invoice.number}
        )
    reversal = Payment.objects.create(
        organisation_id=payment.organisation_id,
        invoice=payment.invoice,
        receipt=receipt,
        date=date,
        amount=-payment.amount,
        method=payment.method,
        reference=_("Annulation du paiement du %(date)s") % {"date": format_date(payment.date)},
        reverses=payment,
        created_by=_user_or_none(user),
    )
    append_payment(reversal)
    data = {"number": payment.invoice.number, "amount": str(reversal.amount), "reverses": payment.pk}
    record(payment.invoice.organisation, "payment.reversed", reversal, user=user, request=request, data=data)
    logger.info(
        "payment reversed organisation=%s payment=%s reversal=%s", payment.organisation_id, payment.pk, reversal.pk
    )
    return reversal


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _check_amount(amount: Decimal, currency: str) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError("payment amounts must be Decimal, got %r" % type(amount).__name__)
    if amount <= ZERO:
        raise PaymentError(
            _("Le montant doit être positif (%(amount)s saisi).") % {"amount": format_amount(amount, currency)},
            field="amount",
        )
    if amount >= MAX_AMOUNT:
        raise PaymentError(
            _("Le montant %(amount)s est trop grand : 12 chiffres au plus avant la virgule.")
            % {"amount": format_decimal_input(amount, 0)},
            field="amount",
        )
    places = currency_decimals(currency)
    if amount != quantize(amount, places):
        raise PaymentError(
            _("Le montant %(amount)s a trop de décimales pour la devise %(currency)s : %(places)s au plus.")
            % {"amount": format_decimal_input(amount, 0), "currency": currency, "places": places},
            field="amount",
        )


def _check_fees(bank_fees: Decimal, amount: Decimal, currency: str) -> None:
    if bank_fees < ZERO or bank_fees >= amount:
        raise PaymentError(
            _("Les frais bancaires (%(fees)s) doivent être positifs et inférieurs au montant reçu (%(amount)s).")
            % {"fees": format_amount(bank_fees, currency), "amount": format_amount(amount, currency)},
            field="bank_fees",
        )
    if bank_fees != quantize(bank_fees, currency_decimals(currency)):
        raise PaymentError(
            _("Les frais bancaires %(fees)s ont trop de décimales.") % {"fees": format_decimal_input(bank_fees, 0)},
            field="bank_fees",
        )


def _check_reference(reference: str) -> None:
    limit = Receipt._meta.get_field("reference").max_length or 0
    if len(reference) > limit:
        raise PaymentError(
            _("La référence fait %(length)s caractères : %(limit)s au plus. Raccourcissez-la.")
            % {"length": len(reference), "limit": limit},
            field="reference",
        )


def _check_receipt_date(date: datetime.date) -> None:
    if date > timezone.localdate():
        raise PaymentError(
            _("La date du paiement (%(date)s) est dans le futur : enregistrez le paiement une fois reçu.")
            % {"date": format_date(date)},
            field="date",
        )


def _check_payment(invoice: Invoice, amount: Decimal, date: datetime.date) -> None:
    """Raise ``PaymentError`` unless the payment fits the invoice: issued, positive, within the balance and dates."""
    currency = invoice.currency
    if invoice.status == InvoiceStatus.DRAFT:
        raise PaymentError(
            _("Un paiement ne peut être enregistré que sur une facture émise : émettez d'abord ce brouillon.")
        )
    _check_amount(amount, currency)

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
            _(
                "La facture %(number)s est déjà entièrement payée. Si le client a versé davantage, "
                "enregistrez un encaissement depuis sa fiche : le montant deviendra un crédit."
            )
            % {"number": invoice.number}
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
