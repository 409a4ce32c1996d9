"""Index-based price revision: the formula, the missing index value, the screens and the command line."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.models import InvoiceStatus
from ardoise.invoicing.services import issue_invoice
from ardoise.jobs.models import JobUnit, UnitStatus
from ardoise.recurring import indexation
from ardoise.recurring.models import PriceIndex, PriceIndexValue, RecurringPlan, RevisionKind
from ardoise.recurring.services import set_index_value
from ardoise.recurring.tasks import GENERATE_JOB
from tests.recurring.conftest import make_plan
from tests.recurring.test_jobs import run_on
from tests.recurring.test_pages import plan_post

AUGUST_2024 = datetime.date(2024, 8, 1)
AUGUST_2025 = datetime.date(2025, 8, 1)


# The pure rules


@pytest.mark.parametrize(
    ("text", "periodicity", "expected"),
    [
        ("2024-08", indexation.MONTHLY, datetime.date(2024, 8, 1)),
        ("08/2024", indexation.MONTHLY, datetime.date(2024, 8, 1)),
        (" 2024-8 ", indexation.MONTHLY, datetime.date(2024, 8, 1)),
        ("T3 2024", indexation.QUARTERLY, datetime.date(2024, 7, 1)),
        ("2024-t4", indexation.QUARTERLY, datetime.date(2024, 10, 1)),
        ("2024", indexation.YEARLY, datetime.date(2024, 1, 1)),
    ],
)
def test_parse_period_forms(text, periodicity, expected):
    assert indexation.parse_period(text, periodicity) == expected


@pytest.mark.parametrize(
    ("text", "periodicity", "message"),
    [
        ("2024-13", indexation.MONTHLY, "« 2024-13 » n'est pas un mois valide"),
        ("T3 2024", indexation.MONTHLY, "indiquez un mois, par exemple 2024-08"),
        ("2024-08", indexation.QUARTERLY, "indiquez un trimestre, par exemple T3 2024"),
        ("août", indexation.YEARLY, "indiquez une année, par exemple 2024"),
    ],
)
def test_parse_period_rejects_with_french_message(text, periodicity, message):
    with pytest.raises(indexation.PeriodError) as raised:
        indexation.parse_period(text, periodicity)
    assert message in str(raised.value)


def test_period_labels_and_codes():
    assert indexation.format_period(AUGUST_2024, indexation.MONTHLY) == "août 2024"
    assert indexation.format_period(datetime.date(2024, 7, 1), indexation.QUARTERLY) == "T3 2024"
    assert indexation.period_code(datetime.date(2024, 7, 1), indexation.QUARTERLY) == "2024-T3"
    assert indexation.period_code(AUGUST_2024, indexation.MONTHLY) == "2024-08"


def test_revision_number_and_index_period():
    rule = indexation.IndexRule(
        periodicity=indexation.MONTHLY,
        base_period=AUGUST_2024,
        base_value=Decimal("300.2"),
        first_revision=datetime.date(2025, 1, 31),
        every_months=12,
    )
    assert rule.revision_number(datetime.date(2025, 1, 30)) == 0
    assert rule.revision_number(datetime.date(2025, 1, 31)) == 1
    assert rule.revision_number(datetime.date(2026, 1, 30)) == 1
    assert rule.revision_number(datetime.date(2026, 1, 31)) == 2
    assert rule.revision_number(datetime.date(2030, 6, 1)) == 6
    assert rule.index_period(1) == AUGUST_2025
    assert rule.index_period(2) == datetime.date(2026, 8, 1)


def test_revised_price_rounds_half_up_from_p0():
    # 1 234,50 × 312,4 / 300,2 = 1 284,6695…
    assert indexation.revised_by_index(Decimal("1234.50"), Decimal("300.2"), Decimal("312.4"), 2) == Decimal("1284.67")
    # 100 × 101,005 / 100 = 101,005: half up gives 101,01.
    assert indexation.revised_by_index(Decimal("100"), Decimal("100"), Decimal("101.005"), 2) == Decimal("101.01")
    # A unit price finer than the cent keeps its decimals.
    assert indexation.price_places(Decimal("0.0125"), 2) == 4
    with pytest.raises(ValueError):
        indexation.revised_by_index(Decimal("100"), Decimal("0"), Decimal("101"), 2)


# Generating the invoices


@pytest.fixture
def syntec(organisation):
    return PriceIndex.objects.create(organisation=organisation, name="Syntec", periodicity=indexation.MONTHLY)


def index_plan(organisation, customer, syntec, **fields):
    values = {
        "frequency": "monthly",
        "start_date": datetime.date(2025, 1, 31),
        "occurrences_limit": 24,
        "price": "1234.50",
        "revision_kind": RevisionKind.INDEX,
        "price_index": syntec,
        "index_base_period": AUGUST_2024,
        "index_base_value": Decimal("300.2"),
        "revision_date": datetime.date(2026, 1, 31),
        "revision_every_months": 12,
        **fields,
    }
    return make_plan(organisation, customer, **values)


def test_index_revision_applies_formula_and_note(organisation, customer, syntec):
    plan = index_plan(organisation, customer, syntec, occurrences_limit=13)
    PriceIndexValue.objects.create(index=syntec, period=AUGUST_2025, value=Decimal("312.4"))
    report = run_on(datetime.date(2026, 1, 31))
    assert not report.failed
    occurrences = list(plan.occurrences.order_by("date").select_related("invoice"))
    assert len(occurrences) == 13
    before, revised = occurrences[-2].invoice, occurrences[-1].invoice
    assert before.lines.get().unit_price == Decimal("1234.50")
    assert "Prix révisés" not in before.notes
    assert revised.status == InvoiceStatus.ISSUED
    assert revised.lines.get().unit_price == Decimal("1284.67")
    assert revised.notes == (
        "Prix révisés selon l'indice Syntec : P1 = P0 × (I1 / I0) = P0 × (312,4 / 300,2), coefficient 1,04064. "
        "I0 : indice de référence (août 2024). I1 : indice de la révision du 31/01/2026 (août 2025)."
    )
    # The issued document carries the note, so the PDF and the XML print it.
    assert "P1 = P0 × (I1 / I0)" in str(revised.document)


def test_missing_index_value_leaves_draft_waiting(organisation, customer, syntec, owner_client):
    plan = index_plan(organisation, customer, syntec, start_date=datetime.date(2026, 1, 31))
    report = run_on(datetime.date(2026, 1, 31))
    occurrence = plan.occurrences.get()
    invoice = occurrence.invoice
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.lines.get().unit_price == Decimal("1234.50")
    assert "La valeur de l'indice Syntec pour août 2025 manque" in occurrence.revision_problem
    assert 'ardoise recurring index set "Syntec" 2025-08 VALEUR' in occurrence.revision_problem
    # The job failed at once, with the reason, and is not retried by itself.
    assert [outcome.text for outcome in report.failed] == [occurrence.revision_problem]
    unit = JobUnit.objects.get(job=GENERATE_JOB.name)
    assert unit.status == UnitStatus.FAILED
    assert run_on(datetime.date(2026, 2, 1)).outcomes == []

    # Issuing by hand is refused with the same reason: no stale price goes out.
    with pytest.raises(InvoicingError) as raised:
        issue_invoice(invoice)
    assert occurrence.revision_problem in raised.value.details

    # The reason is on the dashboard, the invoice page, the plan page and the job page.
    for url in (
        reverse("dashboard:home"),
        invoice.get_absolute_url(),
        plan.get_absolute_url(),
        reverse("jobs:detail", args=[unit.pk]),
    ):
        page = owner_client.get(url).content.decode()
        assert "La valeur de l&#x27;indice Syntec pour août 2025 manque" in page, url


@pytest.mark.usefixtures("december_2026")
def test_entering_value_reprices_and_issues(organisation, customer, syntec, django_capture_on_commit_callbacks):
    plan = index_plan(organisation, customer, syntec, start_date=datetime.date(2026, 1, 31))
    run_on(datetime.date(2026, 1, 31))
    occurrence = plan.occurrences.get()

    with django_capture_on_commit_callbacks(execute=True):
        _row, released = set_index_value(syntec, AUGUST_2025, Decimal("312.4"))
    assert released == 1
    occurrence.refresh_from_db()
    invoice = occurrence.invoice
    assert occurrence.revision_problem == ""
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.number == "F-2026-0001"
    assert invoice.lines.get().unit_price == Decimal("1284.67")
    assert "P0 × (312,4 / 300,2)" in invoice.notes
    assert JobUnit.objects.get(job=GENERATE_JOB.name).status == UnitStatus.DONE
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"recurring.index_value_set", "recurring.repriced"} <= actions


def test_draft_plan_stays_draft_after_repricing(organisation, customer, syntec, django_capture_on_commit_callbacks):
    plan = index_plan(organisation, customer, syntec, start_date=datetime.date(2026, 1, 31), auto_issue=False)
    run_on(datetime.date(2026, 1, 31))
    with django_capture_on_commit_callbacks(execute=True):
        set_index_value(syntec, AUGUST_2025, Decimal("312.4"))
    invoice = plan.occurrences.get().invoice
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.lines.get().unit_price == Decimal("1284.67")
    issue_invoice(invoice)


# Screens


def test_index_pages_create_index_and_value(owner_client, organisation):
    response = owner_client.post(reverse("recurring:indices"), {"name": "BT01", "periodicity": "monthly"})
    index = PriceIndex.objects.get(organisation=organisation)
    assert response.status_code == 302
    assert response.url == index.get_absolute_url()

    bad = owner_client.post(index.get_absolute_url(), {"period": "T3 2025", "value": "130,8"})
    assert bad.status_code == 400
    assert "n&#x27;est pas une période de cet indice" in bad.content.decode()

    owner_client.post(index.get_absolute_url(), {"period": "08/2025", "value": "130,8"})
    owner_client.post(index.get_absolute_url(), {"period": "2025-08", "value": "131,2"})
    value = PriceIndexValue.objects.get(index=index)
    assert value.period == AUGUST_2025
    assert value.value == Decimal("131.2")
    page = owner_client.get(index.get_absolute_url()).content.decode()
    assert "août 2025" in page
    assert "131,2" in page

    owner_client.post(reverse("recurring:index_value_delete", args=[value.pk]))
    assert not PriceIndexValue.objects.exists()
    duplicate = owner_client.post(reverse("recurring:indices"), {"name": "bt01", "periodicity": "monthly"})
    assert duplicate.status_code == 400
    assert "existe déjà" in duplicate.content.decode()


def test_plan_editor_saves_index_revision(owner_client, customer, syntec):
    data = plan_post(
        customer,
        **{
            "plan-revision_kind": "index",
            "plan-revision_percent": "",
            "plan-price_index": str(syntec.pk),
            "plan-index_base_period": "2024-08",
            "plan-index_base_value": "300,2",
            "plan-revision_date": "",
            "plan-revision_every_months": "12",
        },
    )
    response = owner_client.post(reverse("recurring:create"), data)
    assert response.status_code == 302
    plan = RecurringPlan.objects.get()
    assert plan.revision_kind == RevisionKind.INDEX
    assert plan.index_base_period == AUGUST_2024
    assert plan.index_base_value == Decimal("300.2")
    assert plan.index_rule.first_revision == datetime.date(2028, 1, 31)
    page = owner_client.get(plan.get_absolute_url()).content.decode()
    assert "indice Syntec, P1 = P0 × (I1 / I0) avec I0 = 300,2 (août 2024)" in page
    editor = owner_client.get(reverse("recurring:edit", args=[plan.pk])).content.decode()
    assert 'name="plan-index_base_period" value="2024-08"' in editor


def test_plan_editor_rejects_incomplete_index_revision(owner_client, customer, syntec):
    quarterly = PriceIndex.objects.create(organisation=syntec.organisation, name="ICC", periodicity="quarterly")
    data = plan_post(
        customer,
        **{
            "plan-revision_kind": "index",
            "plan-price_index": str(quarterly.pk),
            "plan-index_base_period": "2024-08",
            "plan-index_base_value": "",
            "plan-revision_every_months": "4",
        },
    )
    page = owner_client.post(reverse("recurring:create"), data).content.decode()
    assert not RecurringPlan.objects.exists()
    assert "indiquez un trimestre, par exemple T3 2024" in page
    assert "Indiquez la valeur de l&#x27;indice de référence I0" in page
    assert "tous les 3 mois ou un multiple (4 saisi)" in page


def test_other_organisation_index_not_offered(owner_client, customer, other_organisation):
    foreign = PriceIndex.objects.create(organisation=other_organisation, name="Étranger")
    data = plan_post(
        customer,
        **{
            "plan-revision_kind": "index",
            "plan-price_index": str(foreign.pk),
            "plan-index_base_period": "2024-08",
            "plan-index_base_value": "100",
        },
    )
    owner_client.post(reverse("recurring:create"), data)
    assert not RecurringPlan.objects.exists()


# Command line


def test_cli_index_add_set_show(organisation, customer, capsys, django_capture_on_commit_callbacks):
    call_command("recurring", "index", "add", "Syntec", "--periodicity", "monthly")
    call_command("recurring", "index", "set", "syntec", "2024-08", "300,2")
    call_command("recurring", "index", "list")
    output = capsys.readouterr().out
    assert "Indice « Syntec » créé (mensuel)." in output
    assert "Syntec, août 2024 : 300,2 enregistré." in output
    assert "Syntec\tmensuel\taoût 2024 = 300,2" in output

    syntec = PriceIndex.objects.get()
    plan = index_plan(organisation, customer, syntec, start_date=datetime.date(2026, 1, 31))
    run_on(datetime.date(2026, 1, 31))
    call_command("recurring", "index", "show", "Syntec")
    assert "En attente : La valeur de l'indice Syntec pour août 2025 manque" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recurring", "index", "set", "Syntec", "2025-08", "312.4")
    assert "1 facture(s) d'abonnement en attente de cette valeur sont révisées." in capsys.readouterr().out
    assert plan.occurrences.get().invoice.status == InvoiceStatus.ISSUED
    call_command("recurring", "show", str(plan.pk))
    assert "Révision des prix : indice Syntec" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["set", "Inconnu", "2025-08", "1"], "Aucun indice « Inconnu » dans cette entreprise"),
        (["set", "Syntec", "2025-T3", "1"], "n'est pas une période de cet indice"),
        (["set", "Syntec", "2025-08", "abc"], "« abc » n'est pas un nombre valide"),
        (["set", "Syntec", "2025-08", "-3"], "la valeur d'un indice est positive"),
        (["add", "syntec"], "existe déjà"),
    ],
)
def test_cli_index_rejects_bad_input(organisation, syntec, arguments, message):
    with pytest.raises(CommandError) as raised:
        call_command("recurring", "index", *arguments)
    assert message in str(raised.value)
    assert not PriceIndexValue.objects.exists()


def test_cli_create_plan_with_index(tmp_path, organisation, customer, syntec):
    from tests.recurring.test_cli import PLAN, write

    content = {
        **PLAN,
        "revision_percent": None,
        "price_index": "Syntec",
        "index_base_period": "2024-08",
        "index_base_value": "300.2",
        "revision_date": "2028-01-31",
    }
    call_command("recurring", "create", write(tmp_path, content))
    plan = RecurringPlan.objects.get()
    assert plan.revision_kind == RevisionKind.INDEX
    assert plan.price_index == syntec
    assert plan.revision_date == datetime.date(2028, 1, 31)
    assert plan.revision_every_months == 12
