"""The French screens of recurring plans, scoped to the organisation."""

from __future__ import annotations

import datetime
import html

import time_machine
from django.urls import reverse

from ardoise.invoicing.models import Invoice
from ardoise.jobs.services import run_due
from ardoise.recurring.models import RecurringPlan
from ardoise.recurring.tasks import GENERATE_JOB, SEND_JOB


def plan_post(customer, **overrides):
    data = {
        "plan-name": "Hébergement",
        "plan-frequency": "monthly",
        "plan-interval": "1",
        "plan-start_date": "2027-01-31",
        "plan-end_date": "",
        "plan-occurrences_limit": "",
        "plan-auto_issue": "on",
        "plan-revision_percent": "2,5",
        "customer": str(customer.pk),
        "payment_terms_days": "",
        "purchase_order": "",
        "currency": "EUR",
        "notes": "",
        "discount_kind": "percent",
        "discount_value": "0",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-name": "Hébergement mensuel",
        "lines-0-quantity": "1",
        "lines-0-unit": "C62",
        "lines-0-unit_price": "49,90",
        "lines-0-vat_rate": "20.00",
        "lines-0-discount_percent": "0",
        "lines-0-kind": "service",
    }
    data.update(overrides)
    return data


def test_create_a_plan_from_the_editor(owner_client, customer):
    response = owner_client.post(reverse("recurring:create"), plan_post(customer))
    plan = RecurringPlan.objects.get()
    assert response.status_code == 302
    assert response.url == plan.get_absolute_url()
    assert plan.customer == customer
    assert plan.next_date == datetime.date(2027, 1, 31)
    assert plan.template.lines.get().name == "Hébergement mensuel"
    assert str(plan.revision_percent) == "2.50"
    page = owner_client.get(plan.get_absolute_url()).content.decode()
    assert "28/02/2027" in page
    assert "Hébergement" in owner_client.get(reverse("recurring:list")).content.decode()


def test_editor_rejects_bad_input(owner_client, customer):
    data = plan_post(customer, **{"plan-end_date": "2027-01-01", "lines-0-unit_price": "abc"})
    response = owner_client.post(reverse("recurring:create"), data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "précède la date de la première facture" in page
    assert "« abc » n'est pas un nombre valide" in page
    assert "Hébergement mensuel" in page
    assert not RecurringPlan.objects.exists()


def test_sending_needs_issuing_and_a_customer_email(owner_client, customer):
    response = owner_client.post(
        reverse("recurring:create"), plan_post(customer, **{"plan-auto_issue": "", "plan-auto_send": "on"})
    )
    assert "Seule une facture émise peut être envoyée" in html.unescape(response.content.decode())
    customer.email = ""
    customer.save()
    response = owner_client.post(reverse("recurring:create"), plan_post(customer, **{"plan-auto_send": "on"}))
    assert "n'a pas d'adresse e-mail de facturation" in html.unescape(response.content.decode())
    assert not RecurringPlan.objects.exists()


def test_edit_page_shows_the_invoice_editor(owner_client, plan):
    page = owner_client.get(reverse("recurring:edit", args=[plan.pk])).content.decode()
    assert "Maintenance mensuelle" in page
    assert "Prochaines dates" in page
    data = plan_post(plan.customer, **{"plan-name": "Maintenance renommée", "lines-0-name": "Nouvelle ligne"})
    data["lines-TOTAL_FORMS"] = "2"
    data["lines-INITIAL_FORMS"] = "1"
    line = plan.template.lines.get()
    data.update(
        {"lines-1-%s" % key[len("lines-0-") :]: value for key, value in data.items() if key.startswith("lines-0-")}
    )
    data.update({"lines-0-id": str(line.pk), "lines-0-invoice": str(plan.template.pk), "lines-0-DELETE": "on"})
    response = owner_client.post(reverse("recurring:edit", args=[plan.pk]), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "Maintenance renommée"
    assert [line.name for line in plan.template.lines.all()] == ["Nouvelle ligne"]


def test_dates_preview(owner_client):
    response = owner_client.get(
        reverse("recurring:dates_preview"),
        {"plan-name": "x", "plan-frequency": "quarterly", "plan-interval": "1", "plan-start_date": "2027-08-31"},
    )
    page = response.content.decode()
    assert "31/08/2027" in page
    assert "30/11/2027" in page
    assert "29/02/2028" in page


def test_pause_and_resume(owner_client, plan):
    owner_client.post(reverse("recurring:pause", args=[plan.pk]))
    plan.refresh_from_db()
    assert not plan.is_active
    assert "En pause" in owner_client.get(plan.get_absolute_url()).content.decode()
    owner_client.post(reverse("recurring:resume", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.is_active


def test_another_organisation_gets_404(outsider_client, plan):
    for name in ("detail", "edit", "pause", "resume"):
        method = outsider_client.post if name in ("pause", "resume") else outsider_client.get
        assert method(reverse("recurring:%s" % name, args=[plan.pk])).status_code == 404
    assert "Maintenance" not in outsider_client.get(reverse("recurring:list")).content.decode()


def test_template_hidden_and_invoice_linked(owner_client, plan):
    assert owner_client.get(reverse("invoicing:detail", args=[plan.template.pk])).status_code == 404
    assert owner_client.get(reverse("invoicing:edit", args=[plan.template.pk])).status_code == 404
    assert owner_client.post(reverse("invoicing:issue", args=[plan.template.pk])).status_code == 404
    with time_machine.travel(datetime.datetime(2027, 1, 31, 9, 0, tzinfo=datetime.UTC), tick=False):
        run_due(datetime.date(2027, 1, 31), [GENERATE_JOB, SEND_JOB])
    invoice = Invoice.objects.get(recurring_occurrence__plan=plan)
    listing = owner_client.get(reverse("invoicing:list")).content.decode()
    assert invoice.number in listing
    assert reverse("invoicing:detail", args=[plan.template.pk]) not in listing
    page = owner_client.get(invoice.get_absolute_url()).content.decode()
    assert plan.get_absolute_url() in page
    assert invoice.number in owner_client.get(plan.get_absolute_url()).content.decode()


def test_customer_page_hides_the_template(owner_client, plan):
    page = owner_client.get(plan.customer.get_absolute_url()).content.decode()
    assert reverse("invoicing:detail", args=[plan.template.pk]) not in page
