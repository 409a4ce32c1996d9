"""``ardoise payment add|list|reverse``: record, list and reverse the payments of an issued invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import parse_french_decimal
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import Payment, PaymentMethod


def parse_amount(raw: str) -> Decimal:
    try:
        amount = parse_french_decimal(raw)
    except InvalidOperation:
        raise CommandError(
            _("Montant « %(value)s » invalide : écrivez-le comme 1234.56 ou 1234,56.") % {"value": raw}
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CommandError(_("Montant « %(value)s » invalide : deux décimales au plus.") % {"value": raw})
    return amount


def parse_date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(_("Date « %(value)s » invalide : utilisez le format AAAA-MM-JJ.") % {"value": raw}) from None


class Command(FrenchCommand):
    help = "Enregistrer, lister ou annuler les paiements d'une facture émise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        adding = actions.add_parser("add", help="Enregistrer un paiement pour une facture émise.")
        adding.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise, par exemple F-2026-0001.")
        adding.add_argument("amount", metavar="MONTANT", help="Montant reçu, par exemple 1234,56.")
        adding.add_argument("--date", required=True, metavar="AAAA-MM-JJ", help="Date du paiement.")
        adding.add_argument(
            "--method", choices=PaymentMethod.values, default=PaymentMethod.TRANSFER, help="Moyen de paiement."
        )
        adding.add_argument("--reference", default="", help="Référence du paiement (numéro de chèque…).")
        listing = actions.add_parser("list", help="Lister les paiements d'une facture, avec leur identifiant.")
        listing.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise.")
        reversing = actions.add_parser(
            "reverse", help="Annuler un paiement enregistré par erreur (une écriture inverse est enregistrée)."
        )
        reversing.add_argument("payment_id", metavar="ID", help="Identifiant affiché par « payment list ».")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        if options["action"] == "add":
            self.add(organisation, options)
        elif options["action"] == "list":
            self.list_payments(self.invoice(organisation, options["number"]))
        else:
            self.reverse_one(organisation, options["payment_id"])

    def invoice(self, organisation: Any, number: str) -> Invoice:
        invoice = Invoice.objects.filter(organisation=organisation, number=number).first()
        if invoice is None:
            raise CommandError(_("Aucune facture émise n° « %(number)s ».") % {"number": number})
        return invoice

    def add(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.payments.services import PaymentError, record_payment

        amount = parse_amount(options["amount"])
        date = parse_date(options["date"])
        invoice = self.invoice(organisation, options["number"])
        try:
            record_payment(invoice, amount=amount, date=date, method=options["method"], reference=options["reference"])
        except (PaymentError, ValidationError) as error:
            raise CommandError(error_text(error)) from None
        self.write_balance(_("Paiement enregistré."), invoice)

    def list_payments(self, invoice: Invoice) -> None:
        payments = list(invoice.payments.order_by("date", "id"))
        if not payments:
            self.stdout.write(_("Aucun paiement pour la facture %(number)s.") % {"number": invoice.number})
            return
        for payment in payments:
            self.stdout.write(
                "%s\t%s\t%s\t%s\t%s"
                % (
                    payment.pk,
                    format_date(payment.date),
                    format_amount(payment.amount, invoice.currency),
                    payment.get_method_display(),
                    payment.reference,
                )
            )
        self.write_balance("", invoice)

    def reverse_one(self, organisation: Any, raw_id: str) -> None:
        from ardoise.payments.services import PaymentError, reverse_payment

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

    def write_balance(self, prefix: str, invoice: Invoice) -> None:
        invoice.refresh_from_db()
        text = _("Statut : %(state)s. Reste à payer : %(balance)s.") % {
            "state": invoice.payment_state().label,
            "balance": format_amount(invoice.balance(), invoice.currency),
        }
        self.stdout.write(("%s %s" % (prefix, text)).strip())


def error_text(error: Exception) -> str:
    return getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
