"""The business's side: the « Portail client » card of a document page, and ``ardoise portal``."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from ardoise.audit.models import AuditEntry
from ardoise.portal import links
from ardoise.portal.models import PortalLink

pytestmark = pytest.mark.django_db


def test_invoice_page_offers_to_create_a_link(owner_client, issued_invoice):
    text = owner_client.get(issued_invoice.get_absolute_url()).content.decode()

    assert "Portail client" in text
    assert "Créer le lien du portail" in text
    assert PortalLink.objects.count() == 0


def test_create_shows_the_link_to_copy(owner_client, issued_invoice):
    response = owner_client.post(reverse("portal_links:invoice_create", args=[issued_invoice.pk]), follow=True)

    link = PortalLink.objects.get()
    text = response.content.decode()
    assert "Copier le lien du portail" in text
    assert 'value="%s"' % links.link_url(link) in text
    assert link.created_by.email == "alice@atelier-dupont.fr"
    entry = AuditEntry.objects.get(action="portal_link.created")
    assert entry.user.email == "alice@atelier-dupont.fr"
    assert entry.ip_address == "127.0.0.1"


def test_create_twice_keeps_one_link(member_client, issued_invoice):
    url = reverse("portal_links:invoice_create", args=[issued_invoice.pk])

    member_client.post(url)
    member_client.post(url)

    assert PortalLink.objects.count() == 1


def test_draft_gets_no_link(owner_client, draft_invoice):
    response = owner_client.post(reverse("portal_links:invoice_create", args=[draft_invoice.pk]), follow=True)

    assert "Un brouillon n&#x27;a pas de lien de portail" in response.content.decode()
    assert PortalLink.objects.count() == 0


def test_revoke_from_the_invoice_page(owner_client, issued_invoice):
    link = links.create_link(issued_invoice)

    response = owner_client.post(reverse("portal_links:revoke", args=[link.pk]), follow=True)

    link.refresh_from_db()
    assert link.revoked_at is not None
    text = response.content.decode()
    assert "Lien révoqué" in text
    assert "Créer le lien du portail" in text


def test_get_does_not_create_or_revoke(owner_client, issued_invoice):
    link = links.create_link(issued_invoice)

    assert owner_client.get(reverse("portal_links:invoice_create", args=[issued_invoice.pk])).status_code == 405
    assert owner_client.get(reverse("portal_links:revoke", args=[link.pk])).status_code == 405
    assert PortalLink.objects.usable().count() == 1


def test_outsider_cannot_create_or_revoke(outsider_client, issued_invoice):
    link = links.create_link(issued_invoice)

    assert outsider_client.post(reverse("portal_links:invoice_create", args=[issued_invoice.pk])).status_code == 404
    assert outsider_client.post(reverse("portal_links:revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    assert PortalLink.objects.count() == 1


def test_card_lists_views_and_states(owner_client, issued_invoice):
    from django.test import Client

    revoked = links.create_link(issued_invoice)
    links.revoke_link(revoked)
    current = links.create_link(issued_invoice)
    path = links.link_url(current).split("/", 3)[3]
    Client().get("/" + path)

    text = owner_client.get(issued_invoice.get_absolute_url()).content.decode()

    assert "Révoqué le" in text
    assert "Actif jusqu'au" in text
    assert '<td class="num">1</td>' in text


def run(*args: str) -> str:
    out = StringIO()
    call_command("portal", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cli_prints_the_link(issued_invoice, settings):
    settings.BASE_URL = "https://factures.exemple.fr"

    output = run("link", "F-2026-0001")

    link = PortalLink.objects.get()
    assert output == links.link_url(link) + "\n"
    assert output.startswith("https://factures.exemple.fr/portail/")
    assert run("link", "F-2026-0001") == output


def test_cli_link_with_expiry_creates_a_new_link(issued_invoice):
    run("link", "F-2026-0001")
    before = timezone.now()

    output = run("link", "F-2026-0001", "--expires", "7")

    newest = PortalLink.objects.order_by("-id").first()
    assert output == links.link_url(newest) + "\n"
    assert before + datetime.timedelta(days=7) <= newest.expires_at <= timezone.now() + datetime.timedelta(days=7)
    assert PortalLink.objects.count() == 2


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "--expires : 0 jours n'est pas accepté, indiquez un nombre entre 1 et 3660."),
        ("-3", "--expires : -3 jours n'est pas accepté"),
        ("trente", "--expires : « trente » n'est pas un nombre de jours entier"),
    ],
)
def test_cli_rejects_bad_expiry(issued_invoice, days, message):
    with pytest.raises(CommandError, match=message):
        run("link", "F-2026-0001", "--expires", days)

    assert PortalLink.objects.count() == 0


def test_cli_unknown_number(issued_invoice):
    with pytest.raises(CommandError, match="Aucun document émis n° « F-2026-0099 »"):
        run("link", "F-2026-0099")


def test_cli_revoke(issued_invoice):
    run("link", "F-2026-0001")
    run("link", "F-2026-0001", "--expires", "3")

    assert run("revoke", "F-2026-0001") == "2 lien(s) révoqué(s) pour F-2026-0001.\n"
    assert PortalLink.objects.usable().count() == 0
    assert run("revoke", "F-2026-0001") == "Aucun lien en cours pour F-2026-0001 : rien à révoquer.\n"
    entry = AuditEntry.objects.filter(action="portal_link.revoked").first()
    assert entry.source == "cli"
    assert entry.command == "ardoise portal revoke"


def test_cli_link_of_a_quote(issued_quote):
    output = run("link", "D-2026-0001")

    link = PortalLink.objects.get()
    assert link.quote == issued_quote
    assert output == links.link_url(link) + "\n"
