"""Portal links: the token in the URL, its digest in the database, expiry, revocation and reuse."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.utils import timezone

from ardoise.audit.models import AuditEntry
from ardoise.portal import links, tokens
from ardoise.portal.exceptions import PortalError
from ardoise.portal.models import PortalLink

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_url_opens_its_link(issued_invoice, settings):
    settings.BASE_URL = "https://factures.exemple.fr"

    url = links.portal_url(issued_invoice)

    assert url.startswith("https://factures.exemple.fr/portail/")
    link = links.find_link(token_of(url))
    assert link is not None
    assert link.invoice == issued_invoice


def test_database_stores_only_the_digest(issued_invoice):
    url = links.portal_url(issued_invoice)
    secret = token_of(url).split(".")[0]

    link = PortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in PortalLink.objects.values_list().get()]
    assert not any(secret in value for value in stored)


def test_altered_signature_is_rejected_without_query(issued_invoice, django_assert_num_queries):
    secret, signature = token_of(links.portal_url(issued_invoice)).split(".")
    altered = "%s.%s" % (secret, ("A" if signature[0] != "A" else "B") + signature[1:])

    with django_assert_num_queries(0):
        assert links.find_link(altered) is None


def test_altered_secret_is_rejected_without_query(issued_invoice, django_assert_num_queries):
    secret, signature = token_of(links.portal_url(issued_invoice)).split(".")
    altered = "%s.%s" % (("A" if secret[0] != "A" else "B") + secret[1:], signature)

    with django_assert_num_queries(0):
        assert links.find_link(altered) is None


@pytest.mark.parametrize("token", ["", "1", "abc", "x" * 200, "%s.%s" % ("a" * 43, "b" * 44), "../../etc"])
def test_malformed_token_is_rejected(issued_invoice, token):
    links.portal_url(issued_invoice)

    assert links.find_link(token) is None


def test_signed_token_of_unknown_secret_is_rejected(issued_invoice):
    links.portal_url(issued_invoice)

    assert links.find_link(tokens.signed_token(tokens.new_nonce())) is None


def test_token_signed_with_another_key_is_rejected(issued_invoice, settings):
    url = links.portal_url(issued_invoice)
    settings.SECRET_KEY = "une-autre-cle-secrete-de-cinquante-caracteres-au-moins-0123456789"

    assert links.find_link(token_of(url)) is None


def test_expired_link_is_rejected(issued_invoice):
    link = links.create_link(issued_invoice)
    token = token_of(links.link_url(link))
    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert links.find_link(token) is None


def test_revoked_link_is_rejected(issued_invoice, owner):
    link = links.create_link(issued_invoice)
    token = token_of(links.link_url(link))

    links.revoke_link(link, user=owner)

    assert links.find_link(token) is None
    link.refresh_from_db()
    assert link.revoked_by == owner
    assert AuditEntry.objects.filter(action="portal_link.revoked", object_id=str(issued_invoice.pk)).count() == 1


def test_default_expiry_follows_the_setting(issued_invoice, settings):
    settings.PORTAL_LINK_DAYS = 10
    before = timezone.now()

    link = links.create_link(issued_invoice)

    assert before + datetime.timedelta(days=10) <= link.expires_at <= timezone.now() + datetime.timedelta(days=10)


def test_link_refused_for_a_draft(draft_invoice):
    with pytest.raises(PortalError, match="Un brouillon n'a pas de lien de portail"):
        links.create_link(draft_invoice)


def test_link_refused_with_past_expiry(issued_invoice):
    with pytest.raises(PortalError, match="doit être dans le futur"):
        links.create_link(issued_invoice, expires_at=timezone.now() - datetime.timedelta(days=1))


def test_portal_url_reuses_a_usable_link(issued_invoice):
    first = links.portal_url(issued_invoice)

    assert links.portal_url(issued_invoice) == first
    assert PortalLink.objects.count() == 1
    assert AuditEntry.objects.filter(action="portal_link.created").count() == 1


def test_portal_url_replaces_a_revoked_link(issued_invoice):
    first = links.portal_url(issued_invoice)
    links.revoke_all(issued_invoice)

    second = links.portal_url(issued_invoice)

    assert second != first
    assert links.find_link(token_of(first)) is None
    assert links.find_link(token_of(second)) is not None
    assert PortalLink.objects.usable().count() == 1


def test_portal_url_replaces_a_link_near_its_expiry(issued_invoice, settings):
    settings.PORTAL_LINK_DAYS = 90
    old = links.create_link(issued_invoice, expires_at=timezone.now() + datetime.timedelta(days=44))

    url = links.portal_url(issued_invoice)

    assert links.find_link(token_of(url)).pk != old.pk
    assert PortalLink.objects.count() == 2


def test_links_of_one_document_only(issued_invoice, organisation, customer):
    from ardoise.invoicing.credit_notes import create_credit_note
    from ardoise.invoicing.services import issue_invoice

    credit_note = issue_invoice(create_credit_note(issued_invoice), today=datetime.date(2026, 12, 5))
    invoice_url = links.portal_url(issued_invoice)
    credit_url = links.portal_url(credit_note)

    assert links.find_link(token_of(invoice_url)).invoice == issued_invoice
    assert links.find_link(token_of(credit_url)).invoice == credit_note
