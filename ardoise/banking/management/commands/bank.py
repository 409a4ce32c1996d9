"""``ardoise bank import|list``: import a bank statement and match it, list the bank transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.banking.models import BankAccount, BankTransaction, TransactionState
from ardoise.banking.services import create_account
from ardoise.banking.statements import StatementFileError
from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.core.validators import clean_iban, compact


class Command(FrenchCommand):
    help = "Importer un relevé bancaire (CAMT.053, OFX ou CSV) et rapprocher ses encaissements des factures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        importing = actions.add_parser(
            "import", help="Importer un relevé ; affiche les opérations importées, rapprochées et proposées."
        )
        importing.add_argument("file", metavar="FICHIER", help="Relevé CAMT.053 (XML), OFX ou CSV.")
        importing.add_argument(
            "--account",
            metavar="IBAN",
            help="IBAN du compte : obligatoire pour un CSV s'il y a plusieurs comptes ; créé s'il est nouveau.",
        )
        listing = actions.add_parser("list", help="Lister les opérations bancaires, les plus récentes d'abord.")
        listing.add_argument(
            "--state",
            choices=TransactionState.values,
            help="unmatched : à rapprocher ; proposed : proposées ; matched : rapprochées ; ignored : ignorées.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        if options["action"] == "import":
            self.import_file(organisation, options)
        else:
            self.list_transactions(organisation, options["state"])

    def import_file(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.banking.services import import_statement, summary_text

        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(
                _("Le fichier « %(path)s » est introuvable ou illisible.") % {"path": options["file"]}
            ) from None
        account = find_or_create_account(organisation, options["account"]) if options["account"] else None
        try:
            summary = import_statement(organisation, data, path.name, account=account)
        except StatementFileError as error:
            raise CommandError(
                _("%(message)s Aucune opération n'a été importée.") % {"message": error.message}
            ) from None
        for previous in summary.already_imported:
            self.stdout.write(
                _("Ce relevé a déjà été importé le %(date)s dans le compte « %(account)s » : rien n'a été ajouté.")
                % {
                    "date": format_date(timezone.localtime(previous.created_at).date()),
                    "account": previous.account.name,
                }
            )
        self.stdout.write(summary_text(summary))

    def list_transactions(self, organisation: Any, state: str | None) -> None:
        transactions = BankTransaction.objects.filter(organisation=organisation).select_related("account")
        if state:
            transactions = transactions.filter(state=state)
        rows = list(transactions.order_by("-booking_date", "-id"))
        if not rows:
            self.stdout.write(_("Aucune opération bancaire."))
            return
        for row in rows:
            self.stdout.write(
                "%s\t%s\t%s\t%s\t%s"
                % (
                    row.pk,
                    format_date(row.booking_date),
                    format_amount(row.amount, row.currency),
                    row.get_state_display(),
                    row.label,
                )
            )


def find_or_create_account(organisation: Any, raw: str) -> BankAccount:
    """Return the account whose IBAN or number is ``raw``. A new, valid IBAN creates the account."""
    number = compact(raw)
    found = BankAccount.objects.filter(organisation=organisation).filter(Q(iban=number) | Q(number=raw.strip()))
    account = found.first()
    if account is not None:
        return account
    try:
        iban = clean_iban(raw)
    except ValidationError as error:
        raise CommandError(
            _("Aucun compte ne correspond à « %(value)s ». %(reason)s")
            % {"value": raw, "reason": " ".join(error.messages)}
        ) from None
    return create_account(organisation, iban=iban)
