"""The « Webhooks » pages: owner only, addresses checked, replay and test, another organisation's rows hidden."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.webhooks.models import Delivery, DeliveryStatus, EventType, Subscription

pytestmark = pytest.mark.django_db


def test_owner_creates_subscription(owner_client, organisation):
    response = owner_client.post(
        reverse("webhooks:create"),
        {"url": "https://boutique.example.fr/ardoise", "events": ["invoice.issued", "invoice.paid"], "is_active": "on"},
    )

    subscription = Subscription.objects.get()
    page = owner_client.get(response["Location"])
    assert subscription.events == ["invoice.issued", "invoice.paid"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in page.text
    assert AuditEntry.objects.filter(action="webhook.created").count() == 1


@pytest.mark.parametrize("url", ["http://boutique.example.fr/hook", "ftp://127.0.0.1/hook", "https:///sans-hote"])
def test_address_must_be_https_or_loopback(owner_client, organisation, url):
    response = owner_client.post(reverse("webhooks:create"), {"url": url, "events": ["invoice.issued"]})

    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_loopback_http_is_accepted(owner_client, organisation):
    owner_client.post(reverse("webhooks:create"), {"url": "http://127.0.0.1:8081/hook", "events": ["ping"]})
    response = owner_client.post(
        reverse("webhooks:create"), {"url": "http://127.0.0.1:8081/hook", "events": ["invoice.issued"]}
    )

    assert response.status_code == 302
    assert Subscription.objects.count() == 1


def test_member_cannot_see_webhooks(member_client, organisation):
    assert member_client.get(reverse("webhooks:list")).status_code == 403


def test_other_organisation_subscription_is_hidden(owner_client, organisation, other_organisation):
    foreign = Subscription.objects.create(organisation=other_organisation, url="https://a.example/", events=["ping"])
    delivery = Delivery.objects.create(
        subscription=foreign, organisation=other_organisation, event_type=EventType.PING, event_key="ping:1"
    )

    assert owner_client.get(reverse("webhooks:detail", args=[foreign.pk])).status_code == 404
    assert owner_client.post(reverse("webhooks:replay", args=[delivery.pk])).status_code == 404
    assert Delivery.objects.count() == 1


def test_replay_and_test_from_page(owner_client, organisation):
    subscription = Subscription.objects.create(organisation=organisation, url="https://a.example/", events=["ping"])
    delivered = Delivery.objects.create(
        subscription=subscription,
        organisation=organisation,
        event_type=EventType.PING,
        event_key="ping:1",
        status=DeliveryStatus.DELIVERED,
        payload={"id": "x"},
    )

    owner_client.post(reverse("webhooks:replay", args=[delivered.pk]))
    owner_client.post(reverse("webhooks:test", args=[subscription.pk]))

    replayed, ping = subscription.deliveries.filter(status=DeliveryStatus.PENDING).order_by("pk")
    assert replayed.replay_of == delivered
    assert replayed.event_id == delivered.event_id
    assert ping.event_type == EventType.PING


def test_delete_needs_confirmation(owner_client, organisation):
    subscription = Subscription.objects.create(organisation=organisation, url="https://a.example/", events=["ping"])

    owner_client.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert Subscription.objects.exists()
    owner_client.post(reverse("webhooks:delete", args=[subscription.pk]), {"confirm": "1"})
    assert not Subscription.objects.exists()


def test_cli_lists_tests_and_replays(organisation):
    subscription = Subscription.objects.create(organisation=organisation, url="https://a.example/", events=["ping"])
    output = io.StringIO()

    call_command("webhooks", "test", str(subscription.pk), stdout=output)
    call_command("webhooks", "list", stdout=output)
    delivery = Delivery.objects.get()
    call_command("webhooks", "replay", str(delivery.pk), stdout=output)

    assert "Événement de test mis en file" in output.getvalue()
    assert "https://a.example/  actif  1 en attente" in output.getvalue()
    assert Delivery.objects.count() == 2
    with pytest.raises(CommandError, match="Aucun abonnement n° 999"):
        call_command("webhooks", "test", "999", stdout=output)
