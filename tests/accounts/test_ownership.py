"""Whether the user owns the organisation they work in, as the owner, a member and an outsider."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from ardoise.accounts.middleware import OrganisationMiddleware
from ardoise.accounts.views import owns_current_organisation

pytestmark = pytest.mark.django_db


def request_of(user, organisation=None):
    """Return a request as the middleware leaves it, or, with ``organisation``, as an API token sets it."""
    request = RequestFactory().get("/")
    request.user = user
    if organisation is None:
        OrganisationMiddleware(lambda request: None)(request)
    else:
        request.organisation = organisation
    return request


def test_ownership_read_from_membership(owner, member, outsider, django_assert_num_queries):
    owner_request, member_request, outsider_request = request_of(owner), request_of(member), request_of(outsider)

    with django_assert_num_queries(0):
        assert owns_current_organisation(owner_request)
        assert not owns_current_organisation(member_request)
        # The outsider works in their own organisation, which they own.
        assert owns_current_organisation(outsider_request)


def test_ownership_without_membership_queried(owner, member, outsider, organisation):
    assert owns_current_organisation(request_of(owner, organisation))
    assert not owns_current_organisation(request_of(member, organisation))
    assert not owns_current_organisation(request_of(outsider, organisation))


def test_membership_of_another_organisation_ignored(outsider, organisation):
    request = request_of(outsider)
    request.organisation = organisation

    assert not owns_current_organisation(request)
