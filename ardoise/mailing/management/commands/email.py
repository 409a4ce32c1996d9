"""``ardoise email``: send an issued invoice, show its delivery log, list the e-mail templates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.customers.contacts import billing_recipients, clean_address_list
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.templatetags.ardoise_formats import datetime_fr
from ardoise.mailing.models import DeliveryStatus, EmailTemplate, OutboundEmail
from ardoise.mailing.services import send_invoice_email
from ardoise.mailing.templating import KINDS, compose_invoice_email


class Command(FrenchCommand):
    help = "Envoyer une facture par e-mail, afficher son journal d'envoi, lister les modèles d'e-mails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        sending = actions.add_parser(
            "send",
            help="Envoyer une facture ou un avoir émis, avec le texte du modèle d'e-mail, aux contacts de "
            "facturation du client (ou aux adresses données).",
        )
        sending.add_argument("number", metavar="NUMERO", help="Numéro du document émis, par exemple F-2026-0001.")
        for option, text in (
            ("--to", "Destinataire, à la place des contacts de facturation. Répétable."),
            ("--cc", "Adresse en copie, à la place des copies du client. Répétable."),
            ("--bcc", "Adresse en copie cachée, à la place de celles du client. Répétable."),
        ):
            sending.add_argument(option, action="append", default=[], metavar="ADRESSE", help=text)

        showing_log = actions.add_parser(
            "log", help="Afficher le journal d'envoi d'un document : chaque e-mail et chaque tentative."
        )
        showing_log.add_argument("number", metavar="NUMERO", help="Numéro du document émis, par exemple F-2026-0001.")

        actions.add_parser("templates", help="Lister les modèles d'e-mails : par défaut ou personnalisés.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        getattr(self, "handle_%s" % options["action"])(organisation, options)

    def handle_send(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = _find_issued(organisation, options["number"])
        default_to, default_cc, default_bcc = billing_recipients(invoice.customer)
        to = _addresses(options["to"], "--to") or default_to
        cc = _addresses(options["cc"], "--cc") if options["cc"] else default_cc
        bcc = _addresses(options["bcc"], "--bcc") if options["bcc"] else default_bcc
        if not to:
            raise CommandError(
                _(
                    "Le client « %(customer)s » n'a ni contact de facturation ni e-mail : ajoutez-en un sur sa fiche "
                    "ou donnez l'adresse avec --to."
                )
                % {"customer": invoice.customer.name}
            )

        composed = compose_invoice_email(invoice)
        try:
            outbound = send_invoice_email(
                invoice, to, composed.subject, composed.body, cc, bcc=bcc, attachment_name=composed.attachment_name
            )
        except InvoicingError as error:
            raise CommandError(error.message) from None
        if outbound.status == DeliveryStatus.FAILED:
            raise CommandError(
                _("L'e-mail n'a pas pu être envoyé. Réponse du serveur : %(reason)s") % {"reason": outbound.error}
            )
        if outbound.status == DeliveryStatus.WRITTEN:
            self.stdout.write(
                _("Aucun serveur SMTP configuré : e-mail écrit dans %(path)s.") % {"path": outbound.eml_file}
            )
            return
        self.stdout.write(_("%(number)s envoyée à %(to)s.") % {"number": invoice.number, "to": outbound.to})

    def handle_log(self, organisation: Any, options: dict[str, Any]) -> None:
        invoice = _find_issued(organisation, options["number"])
        emails = OutboundEmail.objects.filter(invoice=invoice).prefetch_related("attempts").order_by("created_at", "id")
        if not emails:
            self.stdout.write(_("Aucun e-mail pour %(number)s.") % {"number": invoice.number})
            return
        for email in emails:
            self.stdout.write(
                "%s  %s  %s  %s  « %s »"
                % (
                    datetime_fr(email.created_at),
                    email.get_origin_display(),
                    email.get_status_display(),
                    email.to or "—",
                    email.subject,
                )
            )
            for attempt in email.attempts.all():
                reply = " : %s" % attempt.reply if attempt.reply else ""
                self.stdout.write(
                    "    %s  %s%s" % (datetime_fr(attempt.attempted_at), attempt.get_status_display(), reply)
                )
            if email.status == DeliveryStatus.FAILED and not email.attempts.exists():
                self.stdout.write("    %s" % email.error)

    def handle_templates(self, organisation: Any, options: dict[str, Any]) -> None:
        written = {template.kind: template for template in EmailTemplate.objects.filter(organisation=organisation)}
        for kind in KINDS.values():
            template = written.get(kind.name)
            if template is None:
                state = _("message par défaut")
                subject = str(kind.default_subject)
            else:
                state = _("personnalisé le %(when)s") % {"when": datetime_fr(template.updated_at)}
                subject = template.subject
            self.stdout.write("%-12s %-18s %s  — objet : %s" % (kind.name, kind.label, state, subject))


def _find_issued(organisation: Any, number: str) -> Invoice:
    invoice = Invoice.objects.filter(organisation=organisation, number=number).select_related("customer").first()
    if invoice is None:
        raise CommandError(
            _("Aucune facture émise n° « %(number)s ». Un brouillon n'a pas de numéro : émettez-le d'abord.")
            % {"number": number}
        )
    return invoice


def _addresses(values: list[str], option: str) -> list[str]:
    try:
        return clean_address_list(",".join(values))
    except ValidationError as error:
        raise CommandError("%s : %s" % (option, error.messages[0])) from None
