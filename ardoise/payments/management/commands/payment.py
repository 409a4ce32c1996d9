"""``ardoise payment add``: record a payment received for an issued invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import PaymentMethod


def parse_amount(raw: str) -> Decimal:
    cleaned = raw.replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
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
    help = "Enregistrer un paiement reçu."

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

    def handle(self, *args: Any, **options: Any) -> None:
        from ardoise.payments.services import PaymentError, record_payment

        organisation = resolve_organisation(options["organisation"])
        amount = parse_amount(options["amount"])
        date = parse_date(options["date"])
        invoice = Invoice.objects.filter(organisation=organisation, number=options["number"]).first()
        if invoice is None:
            raise CommandError(_("Aucune facture émise n° « %(number)s ».") % {"number": options["number"]})
        try:
            record_payment(invoice, amount=amount, date=date, method=options["method"], reference=options["reference"])
        except (PaymentError, ValidationError) as error:
            raise CommandError(
                getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
            ) from None
        invoice.refresh_from_db()
        self.stdout.write(
            _("Paiement enregistré. Statut : %(state)s. Reste à payer : %(balance)s.")
            % {"state": invoice.payment_state().label, "balance": format_amount(invoice.balance(), invoice.currency)}
        )
