"""The dashboard: this month's invoicing in Paris time, outstanding and overdue amounts, getting started."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.payments.services import record_payment

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
NNBSP = "\u202f"


def issued(organisation, customer, price, day):
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=invoice, name="Prestation", quantity=Decimal("1"), unit_price=Decimal(price))
    refresh_totals(invoice)
    return issue_invoice(invoice, today=day)


@pytest.mark.django_db
def test_figures_for_month_outstanding_and_overdue(owner_client, organisation, customer):
    late = issued(organisation, customer, "100.00", datetime.date(2026, 10, 1))  # 120 € TTC, due 31/10
    this_month = issued(organisation, customer, "200.00", datetime.date(2026, 12, 1))  # 240 € TTC
    issued(organisation, customer, "50.00", datetime.date(2026, 11, 30))  # 60 € TTC, last month
    Invoice.objects.create(organisation=organisation, customer=customer)  # a draft counts nowhere

    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, 0, tzinfo=PARIS), tick=False):
        record_payment(this_month, Decimal("40.00"), datetime.date(2026, 12, 2))
        record_payment(late, Decimal("20.00"), datetime.date(2026, 12, 2))
        response = owner_client.get(reverse("dashboard:home"))

    context = response.context
    assert context["invoiced_this_month"].amount == Decimal("240.00")
    assert context["invoiced_this_month"].count == 1
    assert context["outstanding"].amount == Decimal("360.00")
    assert context["outstanding"].count == 3
    assert context["overdue"].amount == Decimal("100.00")
    assert context["overdue"].count == 1
    assert "360,00%s€" % NBSP in response.text
    assert "1 facture échue impayée" in response.text


@pytest.mark.django_db
def test_month_starts_at_midnight_in_paris(owner_client, organisation, customer):
    issued(organisation, customer, "100.00", datetime.date(2026, 11, 30))
    issued(organisation, customer, "200.00", datetime.date(2026, 12, 1))

    # 23:30 UTC on 30 November is already 1 December in Paris.
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC), tick=False):
        response = owner_client.get(reverse("dashboard:home"))

    assert response.context["invoiced_this_month"].amount == Decimal("240.00")


@pytest.mark.django_db
def test_this_month_excludes_later_documents(owner_client, organisation, customer):
    issued(organisation, customer, "200.00", datetime.date(2026, 12, 1))  # 240 € TTC
    issued(organisation, customer, "100.00", datetime.date(2026, 12, 20))  # 120 € TTC, dated after today

    with time_machine.travel(datetime.datetime(2026, 12, 10, 10, 0, tzinfo=PARIS), tick=False):
        response = owner_client.get(reverse("dashboard:home"))

    this_month = response.context["invoiced_this_month"]
    assert (this_month.amount, this_month.count) == (Decimal("240.00"), 1)
    # The chart shows the whole month, as the revenue report of December does.
    assert response.context["charts"]["invoiced_collected"].rows[11][1] == "360,00%s€" % NBSP


@pytest.mark.django_db
def test_getting_started_steps_done(owner_client, organisation, customer):
    first = owner_client.get(reverse("dashboard:home")).context
    Invoice.objects.create(organisation=organisation, customer=customer)
    second = owner_client.get(reverse("dashboard:home")).context

    assert [step.done for step in first["steps"][1:]] == [True, False]
    assert [step.done for step in second["steps"][1:]] == [True, True]
    assert "charts" not in second
    assert (second["invoiced_this_month"].amount, second["invoiced_this_month"].count) == (Decimal("0.00"), 0)


@pytest.mark.django_db
def test_latest_invoices_listed_with_state(owner_client, issued_invoice):
    response = owner_client.get(reverse("dashboard:home"))

    assert "F-2026-0001" in response.text
    assert "1%s065,00%s€" % (NNBSP, NBSP) in response.text


@pytest.mark.django_db
def test_new_organisation_sees_getting_started(client, db):
    from ardoise.accounts.models import Membership, Organisation, Role, User

    organisation = Organisation.objects.create(name="Mon entreprise")
    user = User.objects.create_user(username="neuf@exemple.fr", email="neuf@exemple.fr", password="x" * 12)
    Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
    client.force_login(user)

    response = client.get(reverse("dashboard:home"))

    text = response.text
    assert "Prochaines étapes" in text
    assert "Adresse" in text
    assert "SIREN" in text
    assert "Bien démarrer avec Ardoise" in text
    assert reverse("customers:create") in text
    assert reverse("invoicing:create") in text
    assert "Aucune facture émise depuis le 1er du mois." in text


@pytest.mark.django_db
def test_complete_organisation_has_no_next_steps(owner_client, issued_invoice):
    response = owner_client.get(reverse("dashboard:home"))

    assert "Prochaines étapes" not in response.text
    assert "Bien démarrer avec Ardoise" not in response.text
