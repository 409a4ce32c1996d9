"""``ardoise quote invoice``: issue an invoice from an accepted quote and print its number."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ardoise.core.formats import format_amount
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.quotes.billing import BillingChoice, describe_choice, issue_from_quote
from ardoise.quotes.billing_models import BillingKind
from ardoise.quotes.models import Quote

# Every error of this subcommand exits with the status argparse gives to usage errors.
ERROR_STATUS = 2


def add_invoice_parser(actions: Any) -> None:
    """Add the ``invoice`` action to the subparsers of ``ardoise quote``."""
    invoicing = actions.add_parser(
        "invoice", help="Émettre une facture depuis un devis accepté et afficher son numéro."
    )
    invoicing.add_argument("number", metavar="NUMERO", help="Numéro du devis, par exemple D-2026-0007.")
    kinds = invoicing.add_mutually_exclusive_group(required=True)
    kinds.add_argument("--full", action="store_true", help="Facture totale du devis.")
    kinds.add_argument(
        "--deposit", metavar="POURCENTAGE", help="Facture d'acompte d'un pourcentage du total TTC, par exemple 30%%."
    )
    kinds.add_argument(
        "--deposit-amount",
        metavar="MONTANT",
        help="Facture d'acompte d'un montant, HT par défaut (TTC avec --including-vat), par exemple 1500,00.",
    )
    kinds.add_argument(
        "--progress", metavar="POURCENTAGE", help="Facture de situation à un pourcentage cumulé, par exemple 50%%."
    )
    kinds.add_argument("--final", action="store_true", help="Facture de solde, qui déduit les factures précédentes.")
    invoicing.add_argument("--including-vat", action="store_true", help="Avec --deposit-amount : le montant est TTC.")
    invoicing.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="POSITION=POURCENTAGE",
        help="Avec --progress : pourcentage cumulé d'une ligne du devis (1 pour la première), par exemple 2=80%%. "
        "Répétable ; les autres lignes prennent le pourcentage de --progress.",
    )


def handle_invoice(command: BaseCommand, organisation: Any, options: dict[str, Any]) -> None:
    quote = Quote.objects.filter(organisation=organisation, number=options["number"]).first()
    if quote is None:
        raise CommandError(
            _("Aucun devis n° %(number)s dans cette entreprise.") % {"number": options["number"]},
            returncode=ERROR_STATUS,
        )
    choice = choice_from_options(quote, options)
    try:
        invoice = issue_from_quote(quote, choice)
    except InvoicingError as error:
        lines = [str(error.message)] + ["  - %s" % detail for detail in error.details]
        raise CommandError("\n".join(lines), returncode=ERROR_STATUS) from None
    command.stderr.write(
        _("%(choice)s du devis %(quote)s émise : %(total)s TTC.")
        % {
            "choice": describe_choice(choice, quote.currency),
            "quote": quote.number,
            "total": format_amount(invoice.total_with_vat, invoice.currency),
        }
    )
    # Only the number on standard output, so that scripts can capture it.
    command.stdout.write(invoice.number)


def choice_from_options(quote: Quote, options: dict[str, Any]) -> BillingChoice:
    if options["including_vat"] and options["deposit_amount"] is None:
        raise CommandError(_("--including-vat ne s'emploie qu'avec --deposit-amount."), returncode=ERROR_STATUS)
    if options["line"] and options["progress"] is None:
        raise CommandError(_("--line ne s'emploie qu'avec --progress."), returncode=ERROR_STATUS)

    if options["full"]:
        return BillingChoice(BillingKind.FULL)
    if options["final"]:
        return BillingChoice(BillingKind.FINAL)
    if options["deposit"] is not None:
        return BillingChoice(BillingKind.DEPOSIT, percent=parse_percent(options["deposit"]))
    if options["deposit_amount"] is not None:
        return BillingChoice(
            BillingKind.DEPOSIT,
            amount=parse_amount(options["deposit_amount"]),
            including_vat=options["including_vat"],
        )

    percent = parse_percent(options["progress"])
    if not options["line"]:
        return BillingChoice(BillingKind.PROGRESS, percent=percent)
    lines = list(quote.lines.all())
    line_percents = {line.pk: percent for line in lines}
    for value in options["line"]:
        position, _sep, line_percent = value.partition("=")
        if not position.strip().isdigit() or not 1 <= int(position) <= len(lines):
            raise CommandError(
                _("--line « %(value)s » : la position doit être un numéro de ligne du devis, de 1 à %(count)s.")
                % {"value": value, "count": len(lines)},
                returncode=ERROR_STATUS,
            )
        line_percents[lines[int(position) - 1].pk] = parse_percent(line_percent)
    return BillingChoice(BillingKind.PROGRESS, percent=percent, line_percents=line_percents)


def _french_decimal(value: str) -> Decimal | None:
    text = value.replace("%", "").replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and "e" not in text.lower() else None


def parse_percent(value: str) -> Decimal:
    number = _french_decimal(value)
    if number is None:
        raise CommandError(
            _("Le pourcentage « %(value)s » est invalide : écrivez par exemple 30%% ou 33,33.") % {"value": value},
            returncode=ERROR_STATUS,
        )
    return number


def parse_amount(value: str) -> Decimal:
    number = _french_decimal(value)
    if number is None:
        raise CommandError(
            _("Le montant « %(value)s » est invalide : écrivez par exemple 1500 ou 1 500,50.") % {"value": value},
            returncode=ERROR_STATUS,
        )
    return number
