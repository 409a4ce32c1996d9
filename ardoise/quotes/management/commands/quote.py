"""``ardoise quote``: create, issue, accept, list and send quotes from the command line."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.cli import USAGE_ERROR, FrenchCommand, parse_cli_date, resolve_organisation
from ardoise.core.formats import format_amount, format_date
from ardoise.customers.contacts import billing_recipients
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.mailing.models import DeliveryStatus
from ardoise.quotes import services
from ardoise.quotes.billing_cli import add_invoice_parser, handle_invoice
from ardoise.quotes.description import DescriptionError, parse_description
from ardoise.quotes.models import Quote, QuoteStatus


class Command(FrenchCommand):
    help = "Créer, émettre, accepter, lister et envoyer des devis et des factures pro forma."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        creating = actions.add_parser(
            "create", help="Créer un brouillon de devis depuis une description JSON et afficher son identifiant."
        )
        creating.add_argument("file", metavar="FICHIER", help="Description JSON du devis (voir docs/quotes.md).")

        issuing = actions.add_parser("issue", help="Émettre un brouillon de devis et afficher son numéro.")
        issuing.add_argument("id", metavar="ID", type=int, help="Identifiant du brouillon, affiché par « create ».")

        accepting = actions.add_parser("accept", help="Enregistrer l'accord du client sur un devis émis.")
        accepting.add_argument("number", metavar="NUMERO", help="Numéro du devis, par exemple D-2026-0001.")
        accepting.add_argument(
            "--name", default="", metavar="NOM", help="Nom de la personne qui a signé « Bon pour accord »."
        )
        accepting.add_argument(
            "--date", default="", metavar="AAAA-MM-JJ", help="Date de la signature (par défaut : aujourd'hui)."
        )

        listing = actions.add_parser("list", help="Lister les devis, les plus récents d'abord.")
        listing.add_argument(
            "--status",
            choices=QuoteStatus.values,
            help="Ne lister que les devis de ce statut (draft, issued, sent, accepted, refused, expired…).",
        )

        add_invoice_parser(actions)

        sending = actions.add_parser(
            "send", help="Envoyer un devis émis par e-mail, avec son PDF, aux contacts de facturation du client."
        )
        sending.add_argument("number", metavar="NUMERO", help="Numéro du devis, par exemple D-2026-0001.")
        sending.add_argument(
            "--to",
            default="",
            metavar="ADRESSES",
            help="Destinataires séparés par des virgules. Par défaut : les contacts du client.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        handler = getattr(self, "handle_%s" % options["action"])
        handler(organisation, options)

    def handle_create(self, organisation: Any, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Le fichier « %(path)s » est introuvable.") % {"path": path}, returncode=USAGE_ERROR)
        try:
            description = parse_description(path.read_bytes(), organisation)
        except DescriptionError as error:
            raise CommandError(
                "\n".join(
                    [_("La description « %(path)s » est invalide :") % {"path": path.name}]
                    + ["  - %s" % problem for problem in error.problems]
                ),
                returncode=USAGE_ERROR,
            ) from None
        quote = services.save_draft(description.quote, description.lines)
        self.stderr.write(
            _("Brouillon n° %(id)s créé pour le client « %(customer)s » : %(lines)s ligne(s), %(total)s TTC.")
            % {
                "id": quote.pk,
                "customer": quote.customer.name,
                "lines": len(description.lines),
                "total": format_amount(quote.total_with_vat, quote.currency),
            }
        )
        # Only the id on standard output, so that scripts can capture it.
        self.stdout.write(str(quote.pk))

    def handle_issue(self, organisation: Any, options: dict[str, Any]) -> None:
        quote = Quote.objects.filter(organisation=organisation, pk=options["id"]).first()
        if quote is None:
            raise CommandError(
                _("Aucun devis n° %(id)s dans cette entreprise.") % {"id": options["id"]}, returncode=USAGE_ERROR
            )
        try:
            quote = services.issue(quote)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(quote.number)

    def handle_accept(self, organisation: Any, options: dict[str, Any]) -> None:
        quote = find_issued(organisation, options["number"])
        accepted_at = None
        if options["date"]:
            day = parse_cli_date(options["date"], "--date")
            accepted_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        try:
            quote = services.accept(quote, name=options["name"], accepted_at=accepted_at)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(
            _("Devis %(number)s accepté le %(date)s.")
            % {"number": quote.number, "date": format_date(timezone.localtime(quote.accepted_at).date())}
        )

    def handle_invoice(self, organisation: Any, options: dict[str, Any]) -> None:
        handle_invoice(self, organisation, options)

    def handle_list(self, organisation: Any, options: dict[str, Any]) -> None:
        quotes = Quote.objects.filter(organisation=organisation).select_related("customer")
        if options["status"]:
            quotes = quotes.filter(status=options["status"])
        for quote in quotes.order_by("-created_at", "-id"):
            self.stdout.write(
                "\t".join(
                    [
                        quote.number or _("brouillon n° %(id)s") % {"id": quote.pk},
                        quote.get_kind_display(),
                        quote.get_status_display(),
                        format_date(quote.issue_date) if quote.issue_date else "",
                        format_date(quote.validity_date) if quote.validity_date else "",
                        quote.customer.name,
                        format_amount(quote.total_with_vat, quote.currency),
                    ]
                )
            )

    def handle_send(self, organisation: Any, options: dict[str, Any]) -> None:
        from ardoise.quotes.mailing import compose_quote_email, send_quote_email

        quote = find_issued(organisation, options["number"])
        cc: list[str] = []
        bcc: list[str] = []
        if options["to"]:
            to = [address.strip() for address in options["to"].split(",") if address.strip()]
        else:
            to, cc, bcc = billing_recipients(quote.customer)
        if not to:
            raise CommandError(
                _(
                    "Le client « %(customer)s » n'a pas d'adresse e-mail de facturation : "
                    "indiquez le destinataire avec --to."
                )
                % {"customer": quote.customer.name},
                returncode=USAGE_ERROR,
            )
        composed = compose_quote_email(quote)
        try:
            outbound = send_quote_email(quote, to, composed.subject, composed.body, cc, bcc=bcc)
        except InvoicingError as error:
            raise CommandError(error_text(error)) from None
        if outbound.status == DeliveryStatus.FAILED:
            raise CommandError(
                _("L'envoi du devis %(number)s à %(to)s a échoué : %(error)s")
                % {"number": quote.number, "to": outbound.to, "error": outbound.error}
            )
        self.stdout.write(_("Devis %(number)s envoyé à %(to)s.") % {"number": quote.number, "to": outbound.to})


def find_issued(organisation: Any, number: str) -> Quote:
    quote = Quote.objects.filter(organisation=organisation, number=number).first()
    if quote is None:
        raise CommandError(
            _("Aucun devis émis n° « %(number)s ». Un brouillon n'a pas de numéro : émettez-le d'abord.")
            % {"number": number},
            returncode=USAGE_ERROR,
        )
    return quote


def error_text(error: InvoicingError) -> str:
    return "\n".join([error.message, *("  - %s" % detail for detail in error.details)])
