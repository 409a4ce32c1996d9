"""The organisation's series for credit notes: the profile setting, and the « Avoirs » series made by setup."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ardoise.accounts.models import Organisation
from ardoise.invoicing.models import Invoice, NumberingSeries
from tests.accounts.test_organisation_profile import PROFILE_URL, profile_data

pytestmark = pytest.mark.django_db


def test_profile_chooses_credit_note_series(owner_client, organisation, other_organisation):
    ours = NumberingSeries.objects.create(organisation=organisation, name="Avoirs", pattern="AV-{YYYY}-{NNNN}")
    theirs = NumberingSeries.objects.create(organisation=other_organisation, name="Secret", pattern="S-{NNNN}")

    page = owner_client.get(PROFILE_URL)
    owner_client.post(PROFILE_URL, profile_data(organisation, credit_note_series=str(ours.pk)))
    organisation.refresh_from_db()

    assert "La même séquence que la facture corrigée" in page.text
    assert "Avoirs (AV-{YYYY}-{NNNN})" in page.text
    assert "Secret" not in page.text
    assert organisation.credit_note_series == ours
    response = owner_client.post(PROFILE_URL, profile_data(organisation, credit_note_series=str(theirs.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["credit_note_series"]


def test_demo_creates_credit_note_series():
    call_command("setup", "--demo", stdout=StringIO(), stderr=StringIO())

    organisation = Organisation.objects.get()
    assert organisation.credit_note_series.name == "Avoirs"
    assert organisation.credit_note_series.pattern == "AV-{YYYY}-{NNNN}"
    credit_note = Invoice.objects.get(type_code="381")
    assert credit_note.number.startswith("AV-")
    assert credit_note.refund_due() == 0
    assert credit_note.credited_invoice.balance() == 0
