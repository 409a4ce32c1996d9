"""``ardoise payment``: payments of an invoice, receipts split over invoices, customer credit and its refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, parse_cli_date, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.payments.cli import (
    add_method_arguments,
    find_customer,
    find_invoice,
    find_receipt,
    parse_allocations,
    parse_amount,
    parse_currency,
    receipt_line,
)
from ardoise.payments.models import Payment, Receipt


class Command(FrenchCommand):
    help = (
        "Enregistrer, lister ou annuler les paiements et les encaissements, "
        "appliquer ou rembourser le crédit d'un client."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        self.add_payment_arguments(actions)
        self.add_receipt_arguments(actions)
        self.add_credit_arguments(actions)

    def add_payment_arguments(self, actions: Any) -> None:
        adding = actions.add_parser("add", help="Enregistrer un paiement pour une facture émise.")
        adding.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise, par exemple F-2026-0001.")
        adding.add_argument("amount", metavar="MONTANT", help="Montant reçu, par exemple 1234,56.")
        adding.add_argument("--date", required=True, metavar="AAAA-MM-JJ", help="Date du paiement.")
        add_method_arguments(adding)
        adding.add_argument(
            "--fees", metavar="MONTANT", help="Frais bancaires retenus sur le paiement, par exemple 1,50."
        )

        listing = actions.add_parser("list", help="Lister les paiements d'une facture, avec leur identifiant.")
        listing.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise.")

        reversing = actions.add_parser(
            "reverse", help="Annuler un paiement enregistré par erreur (une écriture inverse est enregistrée)."
        )
        reversing.add_argument("payment_id", metavar="ID", help="Identifiant affiché par « payment list ».")

    def add_receipt_arguments(self, actions: Any) -> None:
        receiving = actions.add_parser(
            "receive",
            help=(
                "Enregistrer un encaissement d'un client et le répartir sur ses factures ; "
                "ce qui n'est pas réparti devient un crédit du client."
            ),
        )
        receiving.add_argument(
            "--customer", required=True, metavar="CLIENT", help="Identifiant ou SIREN du client qui a payé."
        )
        receiving.add_argument("amount", metavar="MONTANT", help="Montant reçu, par exemple 1234,56.")
        receiving.add_argument("--date", metavar="AAAA-MM-JJ", help="Date de réception (par défaut : aujourd'hui).")
        add_method_arguments(receiving)
        receiving.add_argument("--fees", metavar="MONTANT", help="Frais bancaires retenus sur l'encaissement.")
        receiving.add_argument("--currency", default="EUR", metavar="DEVISE", help="Devise (par défaut : EUR).")

        spread = receiving.add_mutually_exclusive_group()
        spread.add_argument(
            "--allocate",
            action="append",
            default=[],
            metavar="NUMERO=MONTANT",
            help=(
                "Montant réglé sur une facture, par exemple F-2026-0001=120,50 ; répétez l'option pour "
                "plusieurs factures. Sans --allocate, les factures sont réglées de la plus ancienne échéance "
                "à la plus récente."
            ),
        )
        spread.add_argument(
            "--no-allocate", action="store_true", help="Ne régler aucune facture : tout devient un crédit du client."
        )

        listing = actions.add_parser(
            "receipts", help="Lister les encaissements et remboursements, avec leur identifiant."
        )
        listing.add_argument("--customer", metavar="CLIENT", help="Identifiant ou SIREN du client.")

        cancelling = actions.add_parser(
            "cancel-receipt",
            help="Annuler un encaissement et ses paiements (des écritures inverses sont enregistrées).",
        )
        cancelling.add_argument("receipt_id", metavar="ID", help="Identifiant affiché par « payment receipts ».")

    def add_credit_arguments(self, actions: Any) -> None:
        showing = actions.add_parser("credit", help="Afficher le crédit d'un client.")
        showing.add_argument("customer", metavar="CLIENT", help="Identifiant ou SIREN du client.")

        applying = actions.add_parser("apply-credit", help="Régler une facture avec le crédit de son client.")
        applying.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise.")
        applying.add_argument(
            "amount", metavar="MONTANT", nargs="?", help="Montant à appliquer (par défaut : tout ce qui est possible)."
        )

        refunding = actions.add_parser("refund-credit", help="Enregistrer le remboursement du crédit d'un client.")
        refunding.add_argument("customer", metavar="CLIENT", help="Identifiant ou SIREN du client.")
        refunding.add_argument("amount", metavar="MONTANT", help="Montant remboursé, par exemple 10,00.")
        refunding.add_argument("--date", metavar="AAAA-MM-JJ", help="Date du remboursement (par défaut : aujourd'hui).")
        add_method_arguments(refunding)
        refunding.add_argument("--currency", default="EUR", metavar="DEVISE", help="Devise (par défaut : EUR).")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        handlers = {
            "add": self.add,
            "list": self.list_payments,
            "reverse": self.reverse_one,
            "receive": self.receive,
            "receipts": self.list_receipts,
            "cancel-receipt": self.cancel_receipt,
            "credit": self.show_credit,
            "apply-credit": self.apply_credit,
            "refund-credit": self.refund_credit,
        }
        handlers[options["action"]](organisation, options)

    # Payments of one invoice

    def add(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, record_payment

        amount = parse_amount(options["amount"])
        fees = parse_amount(options["fees"], "--fees") if options["fees"] else Decimal("0.00")
        date = parse_cli_date(options["date"], "--date")
        invoice = find_invoice(organisation, options["number"])
        try:
            payment = record_payment(invoice, amount, date, options["method"], options["reference"], bank_fees=fees)
        except (PaymentError, ValidationError) as error:
            raise CommandError(error_text(error)) from None
        self.write_balance(_("Paiement enregistré."), invoice)
        credit = payment.receipt.unallocated()
        if credit and not invoice.is_credit_note:
            self.stdout.write(
                _("%(credit)s gardés en crédit pour le client.") % {"credit": format_amount(credit, invoice.currency)}
            )

    def list_payments(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = find_invoice(organisation, options["number"])
        payments = list(invoice.payments.order_by("date", "id"))
        if not payments:
            self.stdout.write(_("Aucun paiement pour la facture %(number)s.") % {"number": invoice.number})
            return
        for payment in payments:
            self.stdout.write(
                "%s\t%s\t%s\t%s\t%s\t%s"
                % (
                    payment.pk,
                    format_date(payment.date),
                    format_amount(payment.amount, invoice.currency),
                    payment.get_method_display(),
                    payment.reference,
                    _("encaissement n° %(id)s") % {"id": payment.receipt_id},
                )
            )
        self.write_balance("", invoice)

    def reverse_one(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, reverse_payment

        raw_id = options["payment_id"]
        payment = None
        if raw_id.isdigit():
            payments = Payment.objects.filter(organisation=organisation).select_related("invoice")
            payment = payments.filter(pk=int(raw_id)).first()
        if payment is None:
            raise CommandError(
                _("Aucun paiement d'identifiant « %(id)s ». « ardoise payment list NUMERO » affiche les identifiants.")
                % {"id": raw_id}
            )
        try:
            reverse_payment(payment)
        except PaymentError as error:
            raise CommandError(error_text(error)) from None
        self.write_balance(_("Paiement annulé par une écriture inverse."), payment.invoice)

    # Receipts

    def receive(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, receive_payment

        amount = parse_amount(options["amount"])
        fees = parse_amount(options["fees"], "--fees") if options["fees"] else Decimal("0.00")
        date = parse_cli_date(options["date"], "--date") if options["date"] else timezone.localdate()
        customer = find_customer(organisation, options["customer"])
        allocations = None
        if options["no_allocate"]:
            allocations = []
        elif options["allocate"]:
            allocations = parse_allocations(organisation, options["allocate"])
        try:
            receipt = receive_payment(
                customer,
                amount,
                date,
                options["method"],
                options["reference"],
                currency=parse_currency(options["currency"]),
                bank_fees=fees,
                allocations=allocations,
            )
        except PaymentError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(
            _("Encaissement n° %(id)s enregistré : %(amount)s de %(customer)s.")
            % {"id": receipt.pk, "amount": format_amount(receipt.amount, receipt.currency), "customer": customer.name}
        )
        for payment in receipt.payments.select_related("invoice").order_by("id"):
            self.write_invoice_line(payment.invoice, payment.amount)
        self.write_credit(customer, receipt.currency, unallocated=receipt.unallocated())

    def list_receipts(self, organisation: Any, options: dict[str, Any]) -> None:
        receipts = Receipt.objects.filter(organisation=organisation).select_related("customer", "reversal")
        if options["customer"]:
            receipts = receipts.filter(customer=find_customer(organisation, options["customer"]))
        receipts = receipts.order_by("date", "id")
        if not receipts.exists():
            self.stdout.write(_("Aucun encaissement."))
            return
        for receipt in receipts:
            self.stdout.write(receipt_line(receipt))

    def cancel_receipt(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, reverse_receipt

        receipt = find_receipt(organisation, options["receipt_id"])
        try:
            reversal = reverse_receipt(receipt)
        except PaymentError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(
            _("Encaissement n° %(id)s du %(date)s annulé par l'écriture n° %(reversal)s.")
            % {"id": receipt.pk, "date": format_date(receipt.date), "reversal": reversal.pk}
        )
        for payment in reversal.payments.select_related("invoice").order_by("id"):
            self.write_invoice_line(payment.invoice, payment.amount)
        self.write_credit(receipt.customer, receipt.currency)

    # Customer credit

    def show_credit(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.queries import customer_credits

        customer = find_customer(organisation, options["customer"])
        credits = customer_credits(customer) or {"EUR": Decimal("0.00")}
        for currency, credit in credits.items():
            self.stdout.write(
                _("Crédit client de %(customer)s : %(credit)s.")
                % {"customer": customer.name, "credit": format_amount(credit, currency)}
            )

    def apply_credit(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, apply_credit

        invoice = find_invoice(organisation, options["number"])
        amount = parse_amount(options["amount"]) if options["amount"] else None
        try:
            payments = apply_credit(invoice, amount)
        except PaymentError as error:
            raise CommandError(error_text(error)) from None
        applied = sum((payment.amount for payment in payments), Decimal("0.00"))
        self.write_balance(
            _("Crédit client de %(amount)s appliqué.") % {"amount": format_amount(applied, invoice.currency)}, invoice
        )
        self.write_credit(invoice.customer, invoice.currency)

    def refund_credit(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, refund_credit

        customer = find_customer(organisation, options["customer"])
        amount = parse_amount(options["amount"])
        date = parse_cli_date(options["date"], "--date") if options["date"] else timezone.localdate()
        currency = parse_currency(options["currency"])
        try:
            receipt = refund_credit(customer, amount, date, options["method"], options["reference"], currency=currency)
        except PaymentError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(
            _("Remboursement n° %(id)s de %(amount)s enregistré pour %(customer)s.")
            % {"id": receipt.pk, "amount": format_amount(amount, currency), "customer": customer.name}
        )
        self.write_credit(customer, currency)

    # Output

    def write_balance(self, prefix: str, invoice: Invoice) -> None:
        invoice.refresh_from_db()
        text = _("Statut : %(state)s. Reste à payer : %(balance)s.") % {
            "state": invoice.payment_state().label,
            "balance": format_amount(invoice.balance(), invoice.currency),
        }
        self.stdout.write(("%s %s" % (prefix, text)).strip())

    def write_invoice_line(self, invoice: Invoice, amount: Decimal) -> None:
        """Write what one invoice got from a receipt (or lost to a reversal), and what is left to pay on it."""
        self.stdout.write(
            "%s\t%s\t%s"
            % (
                invoice.number,
                format_amount(amount, invoice.currency),
                _("reste à payer %(balance)s (%(state)s)")
                % {
                    "balance": format_amount(invoice.balance(), invoice.currency),
                    "state": invoice.payment_state().label,
                },
            )
        )

    def write_credit(self, customer: Customer, currency: str, unallocated: Decimal | None = None) -> None:
        from ardoise.payments.services import customer_credit

        if unallocated:
            self.stdout.write(
                _("%(credit)s gardés en crédit pour le client.") % {"credit": format_amount(unallocated, currency)}
            )
        self.stdout.write(
            _("Crédit client de %(customer)s : %(credit)s.")
            % {"customer": customer.name, "credit": format_amount(customer_credit(customer, currency), currency)}
        )


def error_text(error: Exception) -> str:
    return getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
