"""Arguments and output lines of ``ardoise payment``: methods, amounts, customers, receipts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import parse_french_decimal
from ardoise.core.money import is_currency_code
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import PaymentMethod, Receipt


def add_method_arguments(parser: CommandParser) -> None:
    """Add --method and --reference, shared by the commands that record a payment."""
    parser.add_argument(
        "--method",
        choices=PaymentMethod.values,
        default=PaymentMethod.TRANSFER,
        help="Moyen de paiement : virement, cheque, carte, especes ou prelevement (par défaut : virement).",
    )
    parser.add_argument(
        "--reference", default="", metavar="RÉFÉRENCE", help="Référence (libellé du virement, numéro de chèque…)."
    )


def parse_amount(raw: str, option: str = "") -> Decimal:
    """Read an amount written « 1234,56 » or « 1 234.56 ». ``option`` names the option it came from, if any."""
    label = "%s « %s »" % (option, raw) if option else "« %s »" % raw
    try:
        amount = parse_french_decimal(raw)
    except InvalidOperation:
        raise CommandError(
            _("Montant %(value)s invalide : écrivez-le comme 1234.56 ou 1234,56.") % {"value": label}
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CommandError(_("Montant %(value)s invalide : deux décimales au plus.") % {"value": label})
    return amount


def parse_currency(raw: str) -> str:
    code = raw.strip().upper()
    if not is_currency_code(code):
        raise CommandError(
            _("Devise « %(value)s » inconnue : indiquez un code ISO 4217, par exemple EUR ou USD.") % {"value": raw}
        )
    return code


def find_invoice(organisation: Any, number: str) -> Invoice:
    invoice = Invoice.objects.filter(organisation=organisation, number=number).first()
    if invoice is None:
        raise CommandError(_("Aucune facture émise n° « %(number)s ».") % {"number": number})
    return invoice


def find_customer(organisation: Any, raw: str) -> Customer:
    """Find a customer of the organisation by id, or by SIREN when no customer has that id."""
    customers = Customer.objects.filter(organisation=organisation)
    found = customers.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
    if found is None:
        found = customers.filter(siren=raw.replace(" ", "")).first() if raw.strip() else None
    if found is None:
        raise CommandError(
            _(
                "Aucun client d'identifiant ou de SIREN « %(value)s ». L'identifiant d'un client figure "
                "dans l'adresse de sa fiche (/clients/ID/) et dans « ardoise payment receipts »."
            )
            % {"value": raw}
        )
    return found


def find_receipt(organisation: Any, raw: str) -> Receipt:
    receipt = None
    if raw.isdigit():
        receipt = Receipt.objects.filter(organisation=organisation, pk=int(raw)).select_related("customer").first()
    if receipt is None:
        raise CommandError(
            _("Aucun encaissement d'identifiant « %(id)s ». « ardoise payment receipts » affiche les identifiants.")
            % {"id": raw}
        )
    return receipt


def parse_allocations(organisation: Any, values: list[str]) -> list[tuple[Invoice, Decimal]]:
    """Read the ``--allocate NUMBER=AMOUNT`` options into (invoice, amount) pairs."""
    allocations = []
    for value in values:
        number, separator, raw_amount = value.partition("=")
        if not separator or not number.strip() or not raw_amount.strip():
            raise CommandError(
                _(
                    "--allocate « %(value)s » invalide : écrivez le numéro de la facture et le montant, "
                    "par exemple F-2026-0001=120,50."
                )
                % {"value": value}
            )
        invoice = find_invoice(organisation, number.strip())
        allocations.append((invoice, parse_amount(raw_amount.strip(), "--allocate %s" % number.strip())))
    return allocations


def receipt_line(receipt: Receipt) -> str:
    """Describe a receipt on one tab-separated line: id, date, customer, method, reference, amount, allocated,
    credit left, state."""
    currency = receipt.currency
    allocated = receipt.allocated()
    kind = receipt.get_method_display()
    if receipt.is_refund:
        kind = _("%(method)s (remboursement)") % {"method": kind}
    if receipt.is_reversal:
        state = _("annulation de l'encaissement n° %(id)s") % {"id": receipt.reverses_id}
    elif receipt.is_reversed:
        state = _("annulé")
    else:
        state = _("enregistré")
    return "\t".join(
        [
            str(receipt.pk),
            format_date(receipt.date),
            receipt.customer.name,
            kind,
            receipt.reference,
            format_amount(receipt.amount, currency),
            _("affecté %(amount)s") % {"amount": format_amount(allocated, currency)},
            ""
            if receipt.is_refund
            else _("non affecté %(amount)s") % {"amount": format_amount(receipt.amount - allocated, currency)},
            state,
        ]
    )
