"""``ardoise report``: print a report as CSV, XLSX or a text table, with the figures of the report pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.core.cli import USAGE_ERROR, FrenchCommand, os_error_reason, parse_cli_date, resolve_organisation
from ardoise.core.csvfile import write_csv
from ardoise.core.xlsxfile import write_xlsx
from ardoise.customers.models import Customer
from ardoise.pdf.render import StatementPdfError
from ardoise.reports import queries, tables
from ardoise.reports.periods import Grouping, Period, Preset, preset_period
from ardoise.reports.rebuild import rebuild_all
from ardoise.reports.statement_pdf import statement_pdf
from ardoise.reports.templatetags.report_tags import format_cell
from ardoise.reports.views import sheet_of

# Exit status for values the user typed wrong, as argparse uses for its own usage errors.
FORMATS = ("table", "csv", "xlsx")
REVENUE_GROUPINGS = [value for value, _label in queries.RevenueGrouping.CHOICES]

# The reports, with the filters each takes: "as_of" or "period", and the optional ones.
REPORTS = {
    "outstanding": ("as_of", "Encours clients : factures ouvertes, avoirs à rembourser, crédit et solde net."),
    "aging": ("as_of", "Balance âgée : soldes par ancienneté (non échu, 1-30, 31-60, 61-90, plus de 90 jours)."),
    "revenue": ("period", "Chiffre d'affaires HT par mois, trimestre, année, client ou article, en euros."),
    "receipts": ("period", "Encaissements par période et moyen de paiement, et remboursements."),
    "dso": ("period", "Délai moyen de paiement (DSO) par mois et sur la période."),
    "vat": ("period", "TVA collectée par taux, sur les débits et sur les encaissements, en euros."),
    "statement": (
        "period",
        "Relevé de compte d'un client (--customer obligatoire), du 1er du mois à aujourd'hui par défaut ; "
        "--format pdf possible.",
    ),
}


# AAAA-MM-JJ whatever the values: a date of that shape that does not parse is not in the calendar.
class Command(FrenchCommand):
    help = "Afficher un rapport (balance âgée, encours, chiffre d'affaires, TVA…) en CSV, XLSX ou tableau."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="RAPPORT")
        actions.add_parser(
            "refresh",
            aliases=["rebuild"],
            help="Reconstruire les tables des rapports (soldes, totaux mensuels) à partir des factures, "
            "paiements et encaissements, par exemple après un chargement en masse.",
        )
        for name, (kind, help_text) in REPORTS.items():
            report = actions.add_parser(name, help=help_text)
            if kind == "as_of":
                report.add_argument("--as-of", metavar="AAAA-MM-JJ", help="Date des soldes (par défaut : aujourd'hui).")
            else:
                report.add_argument(
                    "--from", dest="start", metavar="AAAA-MM-JJ", help="Début de la période, avec --to."
                )
                report.add_argument("--to", dest="end", metavar="AAAA-MM-JJ", help="Fin de la période, avec --from.")
            if name in ("revenue", "receipts"):
                choices = REVENUE_GROUPINGS if name == "revenue" else Grouping.values
                report.add_argument("--by", choices=choices, default=Grouping.MONTH, help="Regroupement.")
            formats = (*FORMATS, "pdf") if name == "statement" else FORMATS
            report.add_argument("--format", choices=formats, default="table", help="Format de sortie.")
            report.add_argument("--customer", metavar="ID", help="Identifiant du client (page du client).")
            report.add_argument(
                "--currency", default="EUR", metavar="DEVISE", help="Devise des soldes (EUR par défaut)."
            )
            needs_file = "xlsx et pdf" if name == "statement" else "xlsx"
            report.add_argument(
                "--output", metavar="FICHIER", help="Fichier à écrire (obligatoire pour %s)." % needs_file
            )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        name = options["action"]
        if name in ("refresh", "rebuild"):
            self.refresh(organisation)
            return
        output_format = options["format"]
        if output_format in ("xlsx", "pdf") and not options["output"]:
            raise CommandError(
                _("Le format %(format)s s'écrit dans un fichier : ajoutez --output FICHIER.%(format)s.")
                % {"format": output_format},
                returncode=USAGE_ERROR,
            )
        customer = self.customer(organisation, options["customer"])
        if name == "statement" and customer is None:
            raise CommandError(
                _("Le relevé de compte est celui d'un client : ajoutez --customer ID."), returncode=USAGE_ERROR
            )
        currency = options["currency"].upper()

        if name == "statement":
            assert customer is not None
            period = self.statement_period(options)
            report = queries.statement(organisation, customer, period, currency)
            if output_format == "pdf":
                try:
                    pdf = statement_pdf(organisation, report)
                except StatementPdfError as error:
                    raise CommandError(str(error)) from error
                self.write_file(options["output"], pdf)
                return
            table = tables.statement_table(report)
        else:
            table = self.table(name, organisation, options, customer.pk if customer else None, currency)
        self.print_table(table, output_format, options["output"])

    def refresh(self, organisation: Any) -> None:
        """Fill the VAT and revenue rows of issued documents, then rebuild the stored balances and monthly totals."""
        rebuilt = rebuild_all(organisation)
        message = ngettext(
            "Tables des rapports reconstruites : %(documents)s document émis recalculé",
            "Tables des rapports reconstruites : %(documents)s documents émis recalculés",
            rebuilt.documents,
        ) % {"documents": rebuilt.documents}
        message += "."
        if rebuilt.filled:
            message += " " + ngettext(
                "Lignes de TVA et de chiffre d'affaires ajoutées à %(filled)s document.",
                "Lignes de TVA et de chiffre d'affaires ajoutées à %(filled)s documents.",
                rebuilt.filled,
            ) % {"filled": rebuilt.filled}
        self.stdout.write(message)

    def table(
        self, name: str, organisation: Any, options: dict[str, Any], customer_id: int | None, currency: str
    ) -> tables.Table:
        if name in ("outstanding", "aging"):
            as_of = parse_cli_date(options["as_of"], "--as-of") if options["as_of"] else timezone.localdate()
            balances = queries.customer_balances(organisation, as_of, currency, customer_id)
            return tables.outstanding_table(balances) if name == "outstanding" else tables.aging_table(balances)
        if name == "revenue":
            report = queries.revenue(organisation, self.period(options), options["by"], customer_id)
            return tables.revenue_table(report)
        if name == "receipts":
            period = self.period(options)
            return tables.receipts_table(queries.receipts(organisation, period, options["by"], currency, customer_id))
        if name == "dso":
            period = self.period(options)
            return tables.dso_table(queries.days_sales_outstanding(organisation, period, currency, customer_id))
        return tables.vat_table(
            queries.vat_collected(organisation, self.period(options, Preset.LAST_MONTH), customer_id)
        )

    def period(self, options: dict[str, Any], default: str = Preset.LAST_12_MONTHS) -> Period:
        start, end = options["start"], options["end"]
        if not start and not end:
            return preset_period(default, timezone.localdate())
        if not start or not end:
            raise CommandError(_("Indiquez les deux dates de la période : --from et --to."), returncode=USAGE_ERROR)
        period = Period(parse_cli_date(start, "--from"), parse_cli_date(end, "--to"))
        if period.end < period.start:
            raise CommandError(
                _("--to (%(end)s) précède --from (%(start)s) : inversez les deux dates.")
                % {"end": end, "start": start},
                returncode=USAGE_ERROR,
            )
        return period

    def statement_period(self, options: dict[str, Any]) -> Period:
        if not options["start"] and not options["end"]:
            return queries.default_statement_period(timezone.localdate())
        return self.period(options)

    def customer(self, organisation: Any, raw: str | None) -> Customer | None:
        if not raw:
            return None
        customer = None
        if raw.isdigit():
            customer = Customer.objects.filter(organisation=organisation, pk=int(raw)).first()
        if customer is None:
            raise CommandError(
                _(
                    "Aucun client n° « %(value)s » dans l'entreprise %(organisation)s : l'identifiant figure dans "
                    "l'adresse de la page du client (/clients/ID/)."
                )
                % {"value": raw, "organisation": organisation.name},
                returncode=USAGE_ERROR,
            )
        return customer

    def print_table(self, table: tables.Table, output_format: str, output: str | None) -> None:
        if output_format == "xlsx":
            self.write_file(output, write_xlsx([sheet_of(table)]))
            return
        if output_format == "csv":
            content = write_csv(table.header, table.export_rows())
            if output:
                self.write_file(output, content)
            else:
                self.stdout.write(content.decode("utf-8"), ending="")
            return
        text = render_text_table(table)
        if output:
            self.write_file(output, text.encode("utf-8"))
        else:
            self.stdout.write(text, ending="")

    def write_file(self, path: str | None, content: bytes) -> None:
        assert path is not None
        try:
            Path(path).write_bytes(content)
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire « %(path)s » : %(error)s.") % {"path": path, "error": os_error_reason(error)}
            ) from None
        self.stderr.write(_("Fichier écrit : %(path)s") % {"path": path})


def render_text_table(table: tables.Table) -> str:
    """Lay the table out in aligned columns, amounts formatted as on screen, the total under a rule."""
    rows = [
        [
            format_cell(value, column.kind, table.currency)
            for value, column in zip(row.cells, table.columns, strict=True)
        ]
        for row in table.rows
    ]
    total = None
    if table.total is not None:
        total = [
            format_cell(value, column.kind, table.currency)
            for value, column in zip(table.total.cells, table.columns, strict=True)
        ]
    every = [table.header, *rows, *([total] if total else [])]
    widths = [max(len(line[index]) for line in every) for index in range(len(table.columns))]

    def line(cells: list[str]) -> str:
        parts = [
            cell.ljust(width) if column.kind == tables.Kind.TEXT else cell.rjust(width)
            for cell, width, column in zip(cells, widths, table.columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [table.title, "", line(table.header), line(["-" * width for width in widths])]
    out += [line(cells) for cells in rows]
    if total is not None:
        out += [line(["-" * width for width in widths]), line(total)]
    out += ["", *table.notes]
    return "\n".join(out).rstrip() + "\n"
