"""``ardoise webhooks``: list subscriptions and their deliveries, send a test event, replay an event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.webhooks.models import Delivery, DeliveryStatus, Subscription
from ardoise.webhooks.services import replay, send_test

LISTED_DELIVERIES = 50


class Command(FrenchCommand):
    help = "Webhooks : abonnements, envois, événement de test et renvoi d'un événement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="SIREN ou identifiant de l'entreprise, s'il y en a plusieurs.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="Abonnements, avec leur identifiant et leurs envois en attente.")
        deliveries = actions.add_parser("deliveries", help="Derniers envois d'un abonnement.")
        subscription_help = "Identifiant de l'abonnement, donné par « list »."
        deliveries.add_argument("subscription", type=int, metavar="ID", help=subscription_help)
        test = actions.add_parser("test", help="Mettre en file un événement de test vers un abonnement.")
        test.add_argument("subscription", type=int, metavar="ID", help=subscription_help)
        again = actions.add_parser("replay", help="Renvoyer un événement (même identifiant, même contenu).")
        again.add_argument(
            "delivery", type=int, metavar="ENVOI", help="Identifiant de l'envoi, donné par « deliveries »."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = resolve_organisation(options["organisation"])
        action = options["action"]
        if action == "list":
            for subscription in Subscription.objects.filter(organisation=organisation).order_by("pk"):
                pending = subscription.deliveries.filter(status=DeliveryStatus.PENDING).count()
                state = _("actif") if subscription.is_active else _("désactivé")
                self.stdout.write(
                    "%s  %s  %s  %s"
                    % (subscription.pk, subscription.url, state, _("%(count)s en attente") % {"count": pending})
                )
            return
        if action == "replay":
            delivery = Delivery.objects.filter(organisation=organisation, pk=options["delivery"]).first()
            if delivery is None:
                raise CommandError(
                    _("Aucun envoi n° %(id)s : « ardoise webhooks deliveries ID » liste les envois.")
                    % {"id": options["delivery"]}
                )
            copy = replay(delivery)
            self.stdout.write(
                _("Événement %(event)s renvoyé (envoi n° %(id)s).") % {"event": delivery.event_id, "id": copy.pk}
            )
            return
        subscription = Subscription.objects.filter(organisation=organisation, pk=options["subscription"]).first()
        if subscription is None:
            raise CommandError(
                _("Aucun abonnement n° %(id)s : « ardoise webhooks list » donne leurs identifiants.")
                % {"id": options["subscription"]}
            )
        if action == "test":
            delivery = send_test(subscription)
            self.stdout.write(_("Événement de test mis en file (envoi n° %(id)s).") % {"id": delivery.pk})
            return
        for delivery in subscription.deliveries.order_by("-pk")[:LISTED_DELIVERIES]:
            self.stdout.write(
                "%s  %s  %s  %s  %s  %s"
                % (
                    delivery.pk,
                    delivery.created_at.strftime("%d/%m/%Y %H:%M:%S"),
                    delivery.event_type,
                    delivery.get_status_display(),
                    _("%(count)s tentative(s)") % {"count": delivery.attempts},
                    delivery.error,
                )
            )
