"""``ardoise invoice``: import, issue, export and show invoices from the command line."""

from __future__ import annotations

import io
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.core.formats import format_amount, format_date, format_rate
from ardoise.core.money import Totals, quantize
from ardoise.einvoice.parsed import ParsedInvoice
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.exports import issued_ubl
from ardoise.invoicing.importing import TOTAL_LABELS, describe_total_gaps
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.presentation import invoice_filename
from ardoise.invoicing.services import issue_invoice

EXPORT_FORMATS = ("facturx", "pdf", "cii", "ubl")
# File name extensions of each export format, as the web downloads name them.
EXPORT_EXTENSIONS = {"facturx": "pdf", "pdf": "sans-xml.pdf", "cii": "xml", "ubl": "ubl.xml"}


class Command(FrenchCommand):
    help = "Importer, émettre, exporter, créditer et afficher des factures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        importing = actions.add_parser(
            "import", help="Créer un brouillon depuis un XML CII ou UBL, ou un PDF Factur-X."
        )
        importing.add_argument("file", metavar="FICHIER", help="Fichier XML CII ou UBL, ou PDF Factur-X.")

        issuing = actions.add_parser("issue", help="Émettre un brouillon et afficher son numéro.")
        issuing.add_argument("id", metavar="ID", type=int, help="Identifiant du brouillon, affiché par « import ».")

        exporting = actions.add_parser("export", help="Écrire une facture émise dans un fichier.")
        exporting.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise, par exemple F-2026-0001.")
        exporting.add_argument(
            "--format",
            choices=EXPORT_FORMATS,
            default="facturx",
            help="facturx : le PDF émis avec son XML intégré (par défaut) ; pdf : le même PDF sans le XML ; "
            "cii : le XML CII seul ; ubl : le XML UBL 2.1, reconstruit depuis la facture émise.",
        )
        exporting.add_argument(
            "--output",
            metavar="FICHIER",
            help="Fichier à écrire. Par défaut, le nom du téléchargement web dans le dossier courant, "
            "par exemple Facture-F-2026-0001.pdf ou Facture-F-2026-0001.ubl.xml.",
        )

        showing = actions.add_parser("show", help="Afficher une facture : statut, dates, totaux, solde.")
        showing.add_argument("number", metavar="NUMERO", help="Numéro de la facture, par exemple F-2026-0001.")
        showing.add_argument("--json", action="store_true", help="Sortie JSON.")

        crediting = actions.add_parser(
            "credit", help="Créer un avoir sur une facture émise, pour toute la facture ou certaines lignes."
        )
        crediting.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise, par exemple F-2026-0001.")
        crediting.add_argument(
            "--line",
            action="append",
            default=[],
            metavar="POSITION=QUANTITE",
            help="Ligne à créditer (1 pour la première ligne de la facture) et quantité, par exemple 2=1,5. "
            "Répétable. Sans --line, tout ce qui reste à créditer l'est.",
        )
        crediting.add_argument("--issue", action="store_true", help="Émettre l'avoir aussitôt et afficher son numéro.")

        replacing = actions.add_parser(
            "replace",
            help="Annuler et remplacer : émettre un avoir sur tout ce qui reste de la facture "
            "et ouvrir sa copie en brouillon.",
        )
        replacing.add_argument("number", metavar="NUMERO", help="Numéro de la facture émise, par exemple F-2026-0001.")

        totals = actions.add_parser(
            "totals",
            help="Recalculer les totaux d'un XML CII ou UBL, ou d'un PDF Factur-X, à partir de ses lignes. "
            "Code de sortie 1 si un total recalculé diffère de celui écrit dans le fichier, 0 sinon.",
        )
        totals.add_argument("file", metavar="FICHIER", help="Fichier XML CII ou UBL, ou PDF Factur-X.")
        totals.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        needs_organisation = options["action"] not in ("import", "totals")
        organisation = resolve_organisation(options["organisation"]) if needs_organisation else None
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
        for warning in invoice.import_warnings:
            self.stderr.write(_("Attention : %(warning)s") % {"warning": warning})
        self.stderr.write(
            _("Brouillon n° %(id)s créé pour le client « %(customer)s » : %(lines)s ligne(s), %(total)s TTC.")
            % {
                "id": invoice.pk,
                "customer": invoice.customer.name,
                "lines": invoice.lines.count(),
                "total": format_amount(invoice.total_with_vat, invoice.currency),
            }
        )
        # Only the id on standard output, so that scripts can capture it.
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
        if options["format"] == "cii":
            content = bytes(files.xml)
        elif options["format"] == "ubl":
            try:
                content = issued_ubl(invoice)
            except InvoicingError as error:
                raise CommandError(error_text(error)) from None
        elif options["format"] == "pdf":
            content = without_attachments(bytes(files.pdf))
        else:
            content = bytes(files.pdf)
        if options["output"]:
            output = Path(options["output"])
        else:
            output = Path(invoice_filename(invoice.number, EXPORT_EXTENSIONS[options["format"]], invoice.type_code))
            if output.exists():
                # Only a path the user typed may replace a file.
                raise CommandError(
                    _("Le fichier « %(path)s » existe déjà : supprimez-le ou indiquez un autre fichier avec --output.")
                    % {"path": output}
                )
        if not output.parent.is_dir():
            raise CommandError(
                _("Le dossier « %(folder)s » n'existe pas : créez-le ou choisissez un autre chemin.")
                % {"folder": output.parent}
            )
        output.write_bytes(content)
        self.stdout.write(_("%(path)s écrit (%(size)s octets).") % {"path": output, "size": len(content)})

    def handle_credit(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.invoicing.credit_notes import create_credit_note

        invoice = find_issued(organisation, options["number"])
        quantities = parse_line_options(options["line"]) if options["line"] else None
        try:
            # One transaction, so that a credit note that cannot be issued leaves no draft behind.
            with transaction.atomic():
                credit_note = create_credit_note(invoice, quantities)
                if options["issue"]:
                    credit_note = issue_invoice(credit_note)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None

        if options["issue"]:
            self.stdout.write(credit_note.number)
            return
        self.stderr.write(
            _(
                "Brouillon d'avoir n° %(id)s créé sur la facture %(number)s : %(total)s TTC. "
                "Émettez-le avec « ardoise invoice issue %(id)s »."
            )
            % {
                "id": credit_note.pk,
                "number": invoice.number,
                "total": format_amount(credit_note.total_with_vat, credit_note.currency),
            }
        )
        self.stdout.write(str(credit_note.pk))

    def handle_replace(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.invoicing.credit_notes import cancel_and_replace

        invoice = find_issued(organisation, options["number"])
        try:
            credit_note, draft = cancel_and_replace(invoice)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        self.stderr.write(
            _(
                "Avoir %(credit_note)s émis : la facture %(number)s est annulée. Copie ouverte en brouillon "
                "n° %(id)s : corrigez-la, puis émettez-la avec « ardoise invoice issue %(id)s »."
            )
            % {"credit_note": credit_note.number, "number": invoice.number, "id": draft.pk}
        )
        # The credit note's number, then the draft's id, so that scripts can capture both.
        self.stdout.write(credit_note.number)
        self.stdout.write(str(draft.pk))

    def handle_totals(self, organisation: Any, options: dict[str, Any]) -> None:
        """Rebuild the file's invoice in the engine, ignoring its written totals, and print them."""
        from ardoise.einvoice.parse import InvoiceFileError, document_from_parsed, parse_invoice_file, total_differences

        path = Path(options["file"])
        try:
            parsed = parse_invoice_file(read_file(path), path.name)
            computed = document_from_parsed(parsed).totals()
        except InvoiceFileError as error:
            raise CommandError(error.message) from None
        result: dict[str, Any] = {
            "number": parsed.number,
            "currency": parsed.currency,
            "totals": {code: str(value) for code, value in computed.as_bt_dict().items()},
            "vat_breakdown": [breakdown_row(row) for row in computed.breakdown],
            "warnings": list(parsed.warnings) + breakdown_warning(parsed),
            "differences_with_file": {
                term: {"file": str(written), "computed": str(value)}
                for term, (written, value) in total_differences(parsed.totals, computed).items()
            },
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            self.fail_on_total_gaps(parsed, computed)
            return
        for warning in result["warnings"]:
            self.stderr.write(_("Attention : %(warning)s") % {"warning": warning})
        for code, value in result["totals"].items():
            self.stdout.write(
                "%s (%s) : %s" % (TOTAL_LABELS[code], code, format_amount(Decimal(value), parsed.currency))
            )
        self.fail_on_total_gaps(parsed, computed)

    def fail_on_total_gaps(self, parsed: ParsedInvoice, computed: Totals) -> None:
        """Print each gap with the file's totals and exit with status 1, so that scripts can detect them."""
        gaps = describe_total_gaps(parsed, computed)
        if not gaps:
            return
        for gap in gaps:
            self.stderr.write(_("Écart avec le fichier : %(gap)s.") % {"gap": gap})
        raise CommandError(
            _(
                "Les totaux recalculés diffèrent de ceux écrits dans le fichier « %(filename)s » "
                "(%(count)s écart(s)) : vérifiez ses lignes."
            )
            % {"count": len(gaps), "filename": parsed.filename},
            returncode=1,
        )

    def handle_show(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = Invoice.objects.filter(organisation=organisation, number=options["number"]).first()
        if invoice is None:
            raise CommandError(_("Aucune facture n° « %(number)s ».") % {"number": options["number"]})
        summary = invoice_summary(invoice)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.stdout.write(describe(invoice, summary))


def breakdown_warning(parsed: Any) -> list[str]:
    """Say that a file without lines was rebuilt from its VAT breakdown."""
    if parsed.has_lines:
        return []
    return [
        _(
            "Faute de lignes, les totaux sont recalculés à partir du détail de la TVA par taux du fichier "
            "(bases, remises et frais de chaque taux)."
        )
    ]


def describe(invoice: Invoice, summary: dict[str, Any]) -> str:
    """Return the invoice summary as French text, amounts and dates written the French way."""
    currency = invoice.currency
    rows = [
        (
            _("Avoir") if invoice.is_credit_note else _("Facture"),
            invoice.number or _("brouillon n° %(id)s") % {"id": invoice.pk},
        ),
        (_("Statut"), summary["status_label"]),
        (_("Client"), summary["customer"]),
        (_("Date d'émission"), format_date(invoice.issue_date) if invoice.issue_date else "—"),
        (_("Échéance"), format_date(invoice.due_date) if invoice.due_date else "—"),
    ]
    for code, value in summary["totals"].items():
        label = _("Montant de l'avoir") if code == "BT-115" and invoice.is_credit_note else TOTAL_LABELS[code]
        amount_currency = "EUR" if code == "BT-111" else currency
        rows.append(("%s (%s)" % (label, code), format_amount(Decimal(value), amount_currency)))
    for row in summary["vat_breakdown"]:
        label = _("TVA %(category)s %(rate)s") % {
            "category": row["BT-118"],
            "rate": format_rate(Decimal(row["BT-119"])),
        }
        amounts = _("base %(base)s, TVA %(vat)s") % {
            "base": format_amount(Decimal(row["BT-116"]), currency),
            "vat": format_amount(Decimal(row["BT-117"]), currency),
        }
        rows.append((label, amounts))
    if invoice.is_credit_note:
        rows.insert(1, (_("Facture corrigée"), summary["credited_invoice"]))
        rows.append((_("Déjà remboursé"), format_amount(Decimal(summary["paid"]), currency)))
        rows.append((_("Reste à rembourser"), format_amount(-Decimal(summary["balance"]), currency)))
    else:
        rows.append((_("Déjà payé"), format_amount(Decimal(summary["paid"]), currency)))
        rows.append((_("Reste à payer"), format_amount(Decimal(summary["balance"]), currency)))
    width = max(len(str(label)) for label, _value in rows)
    return "\n".join("%s : %s" % (str(label).ljust(width), value) for label, value in rows)


def breakdown_row(row: Any) -> dict[str, str]:
    """Return one VAT breakdown row keyed by its EN 16931 business terms."""
    return {
        "BT-118": row.key.category,
        "BT-119": str(row.key.rate),
        "BT-116": str(row.taxable_amount),
        "BT-117": str(row.tax_amount),
    }


def without_attachments(pdf: bytes) -> bytes:
    """Return a copy of the issued PDF without its embedded XML, for readers who only print it.

    The issued Factur-X PDF stays the reference: this copy is not archived.
    """
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header
    root = writer._root_object
    for key in ("/AF", "/Names", "/PageMode"):
        if key in root:
            del root[NameObject(key)]
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def parse_line_options(values: list[str]) -> dict[int, Decimal]:
    """Read the ``--line POSITION=QUANTITY`` options into quantities per line position."""
    quantities: dict[int, Decimal] = {}
    for value in values:
        position, separator, quantity = value.partition("=")
        if not separator or not position.strip().isdigit():
            raise CommandError(
                _("--line « %(value)s » invalide : écrivez la position de la ligne et la quantité, par exemple 2=1,5.")
                % {"value": value}
            )
        try:
            amount = Decimal(quantity.strip().replace(",", "."))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise CommandError(
                _("--line « %(value)s » : « %(quantity)s » n'est pas une quantité valide, par exemple 1,5.")
                % {"value": value, "quantity": quantity}
            )
        rank = int(position)
        if rank in quantities:
            raise CommandError(_("La ligne %(position)s est indiquée deux fois avec --line.") % {"position": rank})
        quantities[rank] = amount
    return quantities


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

        document = InvoiceDocument.from_json(invoice.document)
        computed = document.totals()
        totals = {code: str(value) for code, value in computed.as_bt_dict().items()}
        if document.vat_total_eur is not None:
            totals["BT-111"] = str(document.vat_total_eur)
        vat_breakdown = [breakdown_row(row) for row in computed.breakdown]
    else:
        stored = {
            "BT-109": invoice.total_without_vat,
            "BT-110": invoice.total_vat,
            "BT-112": invoice.total_with_vat,
            "BT-115": invoice.amount_due,
        }
        totals = {code: str(quantize(value, invoice.places)) for code, value in stored.items()}
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "type_code": invoice.type_code,
        "credited_invoice": invoice.credited_invoice.number if invoice.credited_invoice else None,
        "status": invoice.payment_state().value,
        "status_label": str(invoice.payment_state().label),
        "customer": invoice.customer.name,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        # « 1 unit of the currency = x EUR », set when the currency is not the euro.
        "exchange_rate": str(invoice.exchange_rate) if invoice.exchange_rate is not None else None,
        "totals": totals,
        "vat_breakdown": vat_breakdown,
        "paid": str(paid),
        # Negative when the seller owes the customer money: see ``Invoice.balance()``.
        "balance": str(invoice.balance()),
    }
