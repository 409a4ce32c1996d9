"""Reminder pages: the plan with its previews, the invoice's history and actions, the rate tables."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
import time_machine

from ardoise.audit.models import AuditEntry
from ardoise.reminders import services
from ardoise.reminders.models import EcbRate, InvoiceDispute, Reminder, ReminderLevel

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def plan_post(plan, changes=None, action="save"):
    """Return the plan form as the browser posts it, with ``changes`` applied to level fields."""
    levels = services.levels_of(plan)
    data = {
        "enabled": "on",
        "skip_non_working_days": "on",
        "action": action,
        "levels-TOTAL_FORMS": str(len(levels) + 1),
        "levels-INITIAL_FORMS": str(len(levels)),
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
    }
    for index, level in enumerate(levels):
        prefix = "levels-%s-" % index
        data.update(
            {
                prefix + "id": str(level.pk),
                prefix + "plan": str(plan.pk),
                prefix + "offset_days": str(level.offset_days),
                prefix + "channel": level.channel,
                prefix + "subject": level.subject,
                prefix + "body": level.body,
            }
        )
    data.update(changes or {})
    return data


def test_plan_page_lists_default_levels(member_client):
    response = member_client.get("/relances/")

    assert response.status_code == 200
    assert "Niveau J-3" in text(response)
    assert "Niveau J+30" in text(response)
    assert "{jours_de_retard}" in text(response)


def test_unknown_placeholder_refused_in_french(owner_client, organisation):
    plan = services.organisation_plan(organisation)

    response = owner_client.post("/relances/", plan_post(plan, {"levels-1-subject": "Relance {numéro_facture}"}))

    assert response.status_code == 200
    assert "n'est pas une variable valide" in text(response)
    assert ReminderLevel.objects.get(plan=plan, offset_days=7).subject.startswith("Relance : facture")


def test_placeholder_outside_vocabulary_names_valid_ones(owner_client, organisation):
    plan = services.organisation_plan(organisation)

    response = owner_client.post("/relances/", plan_post(plan, {"levels-1-body": "Voir {lien}"}))

    assert "La variable {lien} n'existe pas pour ce modèle" in text(response)
    assert "{penalites}" in text(response)


def test_preview_fills_example_values_without_saving(owner_client, organisation):
    plan = services.organisation_plan(organisation)

    response = owner_client.post(
        "/relances/", plan_post(plan, {"levels-1-subject": "Facture {numero} : {jours_de_retard} jours"}, "preview")
    )

    assert "Facture F-2026-0042 : 15 jours" in text(response)
    assert not ReminderLevel.objects.filter(subject__startswith="Facture {numero}").exists()


def test_owner_saves_new_level(owner_client, organisation):
    plan = services.organisation_plan(organisation)
    data = plan_post(
        plan,
        {
            "levels-4-offset_days": "45",
            "levels-4-channel": "letter",
            "levels-4-subject": "Dernier avis {numero}",
            "levels-4-body": "Payez {reste_a_payer}.",
        },
    )

    response = owner_client.post("/relances/", data)

    assert response.status_code == 302
    assert [level.offset_days for level in services.levels_of(plan)] == [-3, 7, 15, 30, 45]
    assert AuditEntry.objects.filter(action="reminders.plan_updated").exists()


def test_member_cannot_change_plan(member_client, organisation):
    plan = services.organisation_plan(organisation)

    response = member_client.post("/relances/", plan_post(plan, {"levels-1-subject": "Autre"}))

    assert response.status_code == 403
    assert ReminderLevel.objects.get(plan=plan, offset_days=7).subject != "Autre"


def test_invoice_page_shows_penalties_and_history(client, owner, issued_invoice):
    with time_machine.travel(datetime.datetime(2027, 2, 2, 9, tzinfo=datetime.UTC), tick=False):
        client.force_login(owner)
        response = client.get(issued_invoice.get_absolute_url())

    assert "Pénalités de retard à ce jour" in text(response)
    assert "10,64" in text(response)
    assert "Relancer maintenant (J+7)" in text(response)


def test_remind_now_and_history(owner_client, issued_invoice, smtp):
    response = owner_client.post("/relances/facture/%s/relancer/" % issued_invoice.pk)

    assert response.status_code == 302
    assert len(smtp.messages) == 1
    reminder = Reminder.objects.get(invoice=issued_invoice)
    assert reminder.manual
    page = owner_client.get(issued_invoice.get_absolute_url())
    assert "Historique des relances" in text(page)
    assert "J+7" in text(page)


def test_dispute_marks_and_clears_with_audit(owner_client, issued_invoice, smtp):
    owner_client.post("/relances/facture/%s/litige/" % issued_invoice.pk, {"reason": "Livraison incomplète"})

    assert InvoiceDispute.objects.get(invoice=issued_invoice).reason == "Livraison incomplète"
    page = owner_client.get(issued_invoice.get_absolute_url())
    assert "En litige" in text(page)
    refused = owner_client.post("/relances/facture/%s/relancer/" % issued_invoice.pk, follow=True)
    assert "La facture est en litige" in text(refused)
    assert smtp.messages == []

    owner_client.post("/relances/facture/%s/litige/" % issued_invoice.pk)

    assert not InvoiceDispute.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"invoice.disputed", "invoice.dispute_closed"} <= actions


def test_letter_download(owner_client, issued_invoice):
    seven = ReminderLevel.objects.get(plan=services.organisation_plan(issued_invoice.organisation), offset_days=30)
    reminder = services.send_reminder(issued_invoice, seven, manual=True, day=datetime.date(2027, 2, 2))
    # The formal notice goes by e-mail by default; with no SMTP configured it is written to the outbox.

    response = owner_client.get("/relances/lettre/%s/" % reminder.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_owner_adds_ecb_rate(owner_client):
    response = owner_client.post(
        "/relances/taux/", {"ecb-effective_from": "2026-07-01", "ecb-rate": "2,40", "ecb-source": "BCE"}
    )

    assert response.status_code == 302
    assert EcbRate.objects.get(effective_from=datetime.date(2026, 7, 1)).rate == Decimal("2.400")


def test_legal_rate_must_start_a_semester(owner_client):
    response = owner_client.post(
        "/relances/taux/",
        {"legal-semester_start": "2026-08-01", "legal-individual_rate": "6", "legal-professional_rate": "2,5"},
    )

    assert response.status_code == 400
    assert "ne commence pas un semestre" in text(response)


def test_member_cannot_add_rate(member_client):
    response = member_client.post("/relances/taux/", {"ecb-effective_from": "2026-07-01", "ecb-rate": "9"})

    assert response.status_code == 403
    assert not EcbRate.objects.filter(effective_from=datetime.date(2026, 7, 1)).exists()


def test_customer_gets_own_plan(owner_client, customer):
    owner_client.post("/relances/client/%s/personnaliser/" % customer.pk)

    page = owner_client.get("/relances/client/%s/" % customer.pk)
    assert "Plan de relance de Boulangerie Martin SAS" in text(page)
    assert customer.reminder_plan.levels.count() == 4
