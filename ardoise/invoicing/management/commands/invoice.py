"""``ardoise invoice``: import, issue, export and show invoices from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.services import issue_invoice

EXPORT_FORMATS = ("facturx", "pdf", "cii")


class Command(FrenchCommand):
    help = "Importer, émettre, exporter et afficher des factures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        importing = actions.add_parser("import", help="Créer un brouillon depuis un XML CII ou un PDF Factur-X.")
        importing.add_argument("file", metavar="FICHIER")

        issuing = actions.add_parser("issue", help="Émettre un brouillon et afficher son numéro.")
        issuing.add_argument("id", metavar="ID", type=int)

        exporting = actions.add_parser("export", help="Écrire une facture émise dans un fichier.")
        exporting.add_argument("number", metavar="NUMERO")
        exporting.add_argument("--format", choices=EXPORT_FORMATS, default="facturx")
        exporting.add_argument("--output", required=True, metavar="FICHIER")

        showing = actions.add_parser("show", help="Afficher une facture : statut, dates, totaux, solde.")
        showing.add_argument("number", metavar="NUMERO")
        showing.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"]) if options["action"] != "import" else None
        handler = getattr(self, "handle_%s" % options["action"])
        handler(organisation, options)

    def handle_import(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.einvoice.parse import InvoiceFileError
        from ardoise.invoicing.importing import import_invoice_file

        path = Path(options["file"])
        data = read_file(path)
        try:
            invoice = import_invoice_file(data, path.name, organisation_hint=options["organisation"])
        except InvoiceFileError as error:
            raise CommandError(str(error)) from None
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(str(invoice.pk))

    def handle_issue(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = Invoice.objects.filter(organisation=organisation, pk=options["id"]).first()
        if invoice is None:
            raise CommandError(_("Aucun brouillon n° %(id)s dans cette entreprise.") % {"id": options["id"]})
        try:
            invoice = issue_invoice(invoice)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(invoice.number)

    def handle_export(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = find_issued(organisation, options["number"])
        files = invoice.files
        content = bytes(files.xml) if options["format"] == "cii" else bytes(files.pdf)
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(
                _("Le dossier « %(folder)s » n'existe pas : créez-le ou choisissez un autre chemin.")
                % {"folder": output.parent}
            )
        output.write_bytes(content)
        self.stdout.write(_("%(path)s écrit (%(size)s octets).") % {"path": output, "size": len(content)})

    def handle_show(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = Invoice.objects.filter(organisation=organisation, number=options["number"]).first()
        if invoice is None:
            raise CommandError(_("Aucune facture n° « %(number)s ».") % {"number": options["number"]})
        summary = invoice_summary(invoice)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        for key, value in summary.items():
            self.stdout.write("%s: %s" % (key, value))


def read_file(path: Path) -> bytes:
    if not path.is_file():
        raise CommandError(_("Le fichier « %(path)s » est introuvable.") % {"path": path})
    return path.read_bytes()


def find_issued(organisation: Any, number: str) -> Invoice:
    invoice = Invoice.objects.filter(organisation=organisation, number=number).select_related("files").first()
    if invoice is None:
        raise CommandError(
            _("Aucune facture émise n° « %(number)s ». Un brouillon n'a pas de numéro : émettez-le d'abord.")
            % {"number": number}
        )
    return invoice


def error_text(error: InvoicingError) -> str:
    return "\n".join([error.message, *("  - %s" % detail for detail in error.details)])


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    """Return the invoice's state and totals keyed by their EN 16931 business terms."""
    paid = invoice.paid_total()
    totals: dict[str, str] = {}
    vat_breakdown: list[dict[str, str]] = []
    if invoice.document:
        from ardoise.core.document import InvoiceDocument

        computed = InvoiceDocument.from_json(invoice.document).totals()
        totals = {code: str(value) for code, value in computed.as_bt_dict().items()}
        vat_breakdown = [
            {
                "BT-118": row.key.category,
                "BT-119": str(row.key.rate),
                "BT-116": str(row.taxable_amount),
                "BT-117": str(row.tax_amount),
            }
            for row in computed.breakdown
        ]
    else:
        totals = {
            "BT-109": str(invoice.total_without_vat),
            "BT-110": str(invoice.total_vat),
            "BT-112": str(invoice.total_with_vat),
            "BT-115": str(invoice.amount_due),
        }
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "status": invoice.payment_state().value,
        "status_label": str(invoice.payment_state().label),
        "customer": invoice.customer.name,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "totals": totals,
        "vat_breakdown": vat_breakdown,
        "paid": str(paid),
        "balance": str(invoice.amount_due - paid),
    }
