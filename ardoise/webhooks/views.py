"""The « Webhooks » pages: subscriptions, their deliveries, a test event and replays. Owner only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounts.views import is_owner
from ardoise.audit.services import record
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.webhooks.forms import SubscriptionForm
from ardoise.webhooks.models import Delivery, EventType, Subscription
from ardoise.webhooks.services import replay, send_test

# The subscription page lists this many recent deliveries.
LISTED_DELIVERIES = 100


def _owner_only(request: HttpRequest) -> None:
    if not is_owner(request.user, current_organisation(request)):
        raise PermissionDenied(_("Seul le propriétaire de l'entreprise gère les webhooks."))


@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    _owner_only(request)
    subscriptions = scoped(request, Subscription).order_by("pk")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@require_http_methods(["GET", "POST"])
def subscription_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _owner_only(request)
    organisation = current_organisation(request)
    instance = get_scoped_or_404(request, Subscription, pk=pk) if pk else Subscription(organisation=organisation)
    form = SubscriptionForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            subscription = form.save()
            action = "webhook.updated" if pk else "webhook.created"
            record(organisation, action, subscription, request=request, data={"url": subscription.url})
        messages.success(request, _("Abonnement enregistré."))
        return redirect("webhooks:detail", pk=subscription.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/form.html", {"form": form, "subscription": instance}, status=status)


@require_GET
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _owner_only(request)
    subscription = get_scoped_or_404(request, Subscription, pk=pk)
    deliveries = subscription.deliveries.order_by("-pk")[:LISTED_DELIVERIES]
    labels = dict(EventType.choices)
    events = [labels.get(event, event) for event in subscription.events]
    return render(
        request, "webhooks/detail.html", {"subscription": subscription, "deliveries": deliveries, "events": events}
    )


@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _owner_only(request)
    subscription = get_scoped_or_404(request, Subscription, pk=pk)
    if not request.POST.get("confirm"):
        messages.error(request, _("Cochez « Je confirme la suppression » pour supprimer l'abonnement."))
        return redirect("webhooks:detail", pk=subscription.pk)
    with transaction.atomic():
        record(
            subscription.organisation, "webhook.deleted", subscription, request=request, data={"url": subscription.url}
        )
        subscription.delete()
    messages.success(request, _("Abonnement supprimé : ses événements en attente ne seront pas envoyés."))
    return redirect("webhooks:list")


@require_POST
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    _owner_only(request)
    subscription = get_scoped_or_404(request, Subscription, pk=pk)
    send_test(subscription)
    messages.info(
        request, _("Événement de test mis en file : son résultat apparaît ci-dessous dans quelques instants.")
    )
    return redirect("webhooks:detail", pk=subscription.pk)


@require_POST
def delivery_replay(request: HttpRequest, delivery_pk: int) -> HttpResponse:
    _owner_only(request)
    delivery = get_scoped_or_404(request, Delivery, pk=delivery_pk)
    copy = replay(delivery)
    record(delivery.organisation, "webhook.replayed", copy, request=request, data={"event": str(delivery.event_id)})
    messages.info(request, _("Événement renvoyé : il repart en fin de file, avec le même identifiant."))
    return redirect("webhooks:detail", pk=delivery.subscription_id)
