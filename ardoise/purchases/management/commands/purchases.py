"""``ardoise purchases``: receive supplier invoice files, list them, mark one paid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, os_error_reason, parse_cli_date, resolve_organisation
from ardoise.payments.cli import add_method_arguments
from ardoise.purchases.models import Source, SupplierInvoice
from ardoise.purchases.services import ReceiveError, mark_paid, receive


class Command(FrenchCommand):
    help = "Factures fournisseurs : recevoir des fichiers Factur-X, CII ou UBL, les lister, les marquer payées."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        receive_parser = actions.add_parser("receive", help="Recevoir un ou plusieurs fichiers.")
        receive_parser.add_argument(
            "files", nargs="+", metavar="FICHIER", help="Fichier Factur-X (PDF), CII ou UBL (XML)."
        )
        list_parser = actions.add_parser("list", help="Factures reçues, avec leur identifiant.")
        list_parser.add_argument("--unpaid", action="store_true", help="Seulement celles à payer.")
        pay = actions.add_parser("pay", help="Marquer une facture payée.")
        pay.add_argument("id", type=int, metavar="ID", help="Identifiant de la facture, donné par « list ».")
        pay.add_argument("--date", metavar="AAAA-MM-JJ", help="Date du paiement (par défaut : aujourd'hui).")
        add_method_arguments(pay)

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        action = options["action"]
        if action == "receive":
            self.receive(organisation, options["files"])
        elif action == "list":
            invoices = SupplierInvoice.objects.filter(organisation=organisation).defer("content")
            if options["unpaid"]:
                invoices = invoices.filter(paid_on__isnull=True)
            for invoice in invoices:
                state = (
                    _("payée le %(date)s") % {"date": invoice.paid_on.strftime("%d/%m/%Y")}
                    if invoice.paid_on
                    else _("à payer")
                )
                check = _("conforme") if invoice.is_valid else _("non conforme")
                self.stdout.write(
                    "%s  %s  %s  %s  %s %s  %s  %s"
                    % (
                        invoice.pk,
                        invoice.issue_date.strftime("%d/%m/%Y"),
                        invoice.supplier_name,
                        invoice.number,
                        invoice.total_with_vat,
                        invoice.currency,
                        check,
                        state,
                    )
                )
        else:
            self.pay(organisation, options)

    def receive(self, organisation: Any, files: list[str]) -> None:
        rejected = 0
        for name in files:
            path = Path(name)
            try:
                invoice = receive(organisation, path.read_bytes(), path.name, source=Source.COMMAND)
            except OSError as error:
                rejected += 1
                self.stdout.write(
                    _("%(path)s : illisible (%(reason)s).") % {"path": path, "reason": os_error_reason(error)}
                )
                continue
            except ReceiveError as error:
                rejected += 1
                self.stdout.write(_("%(path)s : refusé. %(reason)s") % {"path": path, "reason": error.message})
                continue
            check = (
                _("conforme")
                if invoice.is_valid
                else _("non conforme (%(count)s erreur(s))") % {"count": len(invoice.validation.get("errors", []))}
            )
            self.stdout.write(
                _("%(path)s : reçue, identifiant %(id)s, facture %(number)s de %(supplier)s, %(check)s.")
                % {
                    "path": path,
                    "id": invoice.pk,
                    "number": invoice.number,
                    "supplier": invoice.supplier_name,
                    "check": check,
                }
            )
        if rejected:
            raise CommandError(
                _("%(count)s fichier(s) refusé(s) sur %(total)s.") % {"count": rejected, "total": len(files)}
            )

    def pay(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = SupplierInvoice.objects.filter(organisation=organisation, pk=options["id"]).first()
        if invoice is None:
            raise CommandError(
                _("Aucune facture fournisseur n° %(id)s : « ardoise purchases list » donne leurs identifiants.")
                % {"id": options["id"]}
            )
        date = parse_cli_date(options["date"], "--date") if options["date"] else timezone.localdate()
        mark_paid(invoice, date, options["method"], options["reference"])
        self.stdout.write(
            _("Facture %(number)s marquée payée le %(date)s.")
            % {"number": invoice.number, "date": date.strftime("%d/%m/%Y")}
        )
