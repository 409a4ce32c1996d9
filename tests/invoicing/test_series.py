"""Numbering series: reset policies, the lock once used, the settings page, the editor and the CLI."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from ardoise.invoicing.exceptions import InvoicingError, SeriesInUseError
from ardoise.invoicing.models import Invoice, InvoiceLine, NumberingSeries, ResetPolicy
from ardoise.invoicing.series import make_default, next_number, save_series
from ardoise.invoicing.services import issue_invoice, refresh_totals

DAY = datetime.date(2026, 12, 4)
LOCKED = "a déjà servi à numéroter des factures"


def make_series(organisation, name="Formations", pattern="FO-{YYYY}-{NNN}", reset=ResetPolicy.YEARLY, **fields):
    return NumberingSeries.objects.create(organisation=organisation, name=name, pattern=pattern, reset=reset, **fields)


def issue_in(series, customer, day=DAY) -> str:
    draft = Invoice.objects.create(organisation=series.organisation, customer=customer, series=series)
    InvoiceLine.objects.create(invoice=draft, name="Prestation", quantity=Decimal("1"), unit_price=Decimal("80.00"))
    refresh_totals(draft)
    return issue_invoice(draft, today=day).number


# Reset policies at issue time


@pytest.mark.django_db
def test_monthly_series_restarts_each_month(organisation, customer):
    series = make_series(organisation, pattern="M{YY}{MM}-{NNN}", reset=ResetPolicy.MONTHLY)
    numbers = [issue_in(series, customer, day) for day in (DAY, DAY, datetime.date(2027, 1, 5))]
    assert numbers == ["M2612-001", "M2612-002", "M2701-001"]


@pytest.mark.django_db
def test_never_reset_series_continues_across_years(organisation, customer):
    series = make_series(organisation, pattern="A-{YYYY}-{NNNNN}", reset=ResetPolicy.NEVER)
    numbers = [issue_in(series, customer, day) for day in (DAY, datetime.date(2027, 1, 5))]
    assert numbers == ["A-2026-00001", "A-2027-00002"]


@pytest.mark.django_db
def test_next_number_previews_without_taking_it(organisation, customer):
    series = make_series(organisation)
    assert next_number(series, DAY) == "FO-2026-001"
    issue_in(series, customer)
    assert next_number(series, DAY) == "FO-2026-002"
    assert next_number(series, DAY) == "FO-2026-002"
    assert next_number(series, datetime.date(2027, 1, 1)) == "FO-2027-001"


# The lock once a number has been issued


@pytest.mark.django_db
def test_model_rejects_pattern_of_used_series(organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    series.pattern = "FO-{YYYY}-{NNNN}"
    with pytest.raises(SeriesInUseError, match=LOCKED):
        series.save()
    assert NumberingSeries.objects.get(pk=series.pk).pattern == "FO-{YYYY}-{NNN}"


@pytest.mark.django_db
def test_service_rejects_reset_of_used_series(organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    series.reset = ResetPolicy.NEVER
    with pytest.raises(SeriesInUseError, match=LOCKED):
        save_series(series)
    assert NumberingSeries.objects.get(pk=series.pk).reset == ResetPolicy.YEARLY


@pytest.mark.django_db
def test_used_series_name_stays_editable(organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    series.name = "Formations inter-entreprises"
    series.is_default = True
    save_series(series)
    stored = NumberingSeries.objects.get(pk=series.pk)
    assert stored.name == "Formations inter-entreprises"
    assert stored.is_default


@pytest.mark.django_db
def test_unused_series_can_change_its_pattern(organisation):
    series = make_series(organisation)
    series.pattern = "FO{YY}-{NNNN}"
    save_series(series)
    assert NumberingSeries.objects.get(pk=series.pk).pattern == "FO{YY}-{NNNN}"


@pytest.mark.django_db
def test_failed_issue_leaves_the_series_unused(organisation, customer):
    series = make_series(organisation)
    draft = Invoice.objects.create(organisation=organisation, customer=customer, series=series)
    with pytest.raises(InvoicingError):
        issue_invoice(draft, today=DAY)  # no line: refused before any number is taken
    assert not series.is_used()


# Service validation


@pytest.mark.django_db
def test_service_rejects_an_invalid_pattern_in_french(organisation):
    series = NumberingSeries(organisation=organisation, name="X", pattern="X-{NN}-{NN}", reset=ResetPolicy.NEVER)
    with pytest.raises(InvoicingError, match="exactement un compteur"):
        save_series(series)
    assert not NumberingSeries.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_service_rejects_a_duplicate_name(organisation):
    make_series(organisation)
    duplicate = NumberingSeries(organisation=organisation, name="Formations", pattern="X-{NNNN}", reset="never")
    with pytest.raises(InvoicingError, match="« Formations » existe déjà"):
        save_series(duplicate)


@pytest.mark.django_db
def test_new_default_series_takes_the_flag(organisation):
    first = make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    second = save_series(
        NumberingSeries(organisation=organisation, name="Avoirs", pattern="AV-{NNNN}", reset="never", is_default=True)
    )
    assert list(NumberingSeries.objects.filter(is_default=True)) == [second]
    make_default(first)
    assert list(NumberingSeries.objects.filter(is_default=True)) == [first]


# The settings page


@pytest.mark.django_db
def test_series_page_lists_next_numbers(owner_client, organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer, day=timezone.localdate())
    response = owner_client.get(reverse("invoicing:series"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Séquences de numérotation" in content
    assert "FO-%d-002" % timezone.localdate().year in content
    assert "Figée" in content


@pytest.mark.django_db
def test_owner_creates_a_series_from_the_page(owner_client, organisation):
    data = {"name": "Ateliers", "pattern": "AT-{YYYY}{MM}-{NN}", "reset": "monthly", "is_default": "on"}
    response = owner_client.post(reverse("invoicing:series_create"), data)
    assert response.status_code == 302
    series = NumberingSeries.objects.get(organisation=organisation, name="Ateliers")
    assert series.reset == ResetPolicy.MONTHLY
    assert series.is_default


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pattern", "reset", "message"),
    [
        ("AT-{YYYY}", "yearly", "doit contenir exactement un compteur"),
        ("AT-{NNN}-{NNN}", "never", "(il en contient 2)"),
        ("AT-{JJ}-{NNN}", "never", "contient une balise inconnue"),
        ("AT {NNN}", "never", "caractères interdits"),
        ("AT-{YYYY}-{NNN}", "monthly", "ne peut pas repartir à 1 chaque mois"),
        ("AT-{NNN}", "yearly", "ne peut pas repartir à 1 chaque année"),
    ],
)
def test_page_rejects_bad_patterns_in_french(owner_client, organisation, pattern, reset, message):
    data = {"name": "Ateliers", "pattern": pattern, "reset": reset}
    response = owner_client.post(reverse("invoicing:series_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NumberingSeries.objects.filter(organisation=organisation, name="Ateliers").exists()


@pytest.mark.django_db
def test_page_rejects_pattern_of_used_series(owner_client, organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    url = reverse("invoicing:series_edit", kwargs={"series_pk": series.pk})
    data = {"name": "Formations", "pattern": "FO-{NNNNNN}", "reset": "never"}
    response = owner_client.post(url, data)
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    stored = NumberingSeries.objects.get(pk=series.pk)
    assert (stored.pattern, stored.reset) == ("FO-{YYYY}-{NNN}", ResetPolicy.YEARLY)


@pytest.mark.django_db
def test_page_renames_a_used_series(owner_client, organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    url = reverse("invoicing:series_edit", kwargs={"series_pk": series.pk})
    form_page = owner_client.get(url).content.decode()
    assert "readonly" in form_page
    data = {"name": "Stages", "pattern": series.pattern, "reset": series.reset}
    response = owner_client.post(url, data)
    assert response.status_code == 302
    assert NumberingSeries.objects.get(pk=series.pk).name == "Stages"


@pytest.mark.django_db
def test_page_makes_a_series_the_default(owner_client, organisation):
    first = make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    second = make_series(organisation)
    response = owner_client.post(reverse("invoicing:series_make_default", kwargs={"series_pk": second.pk}))
    assert response.status_code == 302
    assert NumberingSeries.objects.get(pk=second.pk).is_default
    assert not NumberingSeries.objects.get(pk=first.pk).is_default


@pytest.mark.django_db
def test_member_cannot_create_a_series(member_client, organisation):
    data = {"name": "Ateliers", "pattern": "AT-{NNN}", "reset": "never"}
    response = member_client.post(reverse("invoicing:series_create"), data)
    assert response.status_code == 403
    assert "Seuls les propriétaires" in response.content.decode()
    assert not NumberingSeries.objects.filter(organisation=organisation).exists()


# The invoice editor


@pytest.mark.django_db
def test_editor_offers_series_when_several(owner_client, organisation):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    assert 'name="series"' not in owner_client.get(reverse("invoicing:create")).content.decode()
    make_series(organisation)
    assert 'name="series"' in owner_client.get(reverse("invoicing:create")).content.decode()


@pytest.mark.django_db
def test_draft_series_numbers_the_invoice(owner_client, organisation, customer):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)
    data = {
        "customer": customer.pk,
        "series": formations.pk,
        "discount_kind": "percent",
        "discount_value": "0",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-name": "Formation Django",
        "lines-0-quantity": "1",
        "lines-0-unit": "C62",
        "lines-0-unit_price": "900",
        "lines-0-vat_rate": "20.00",
        "lines-0-kind": "service",
    }
    response = owner_client.post(reverse("invoicing:create"), data)
    assert response.status_code == 302
    draft = Invoice.objects.get(organisation=organisation)
    assert draft.series == formations
    assert issue_invoice(draft, today=DAY).number == "FO-2026-001"


@pytest.mark.django_db
def test_editor_rejects_another_organisations_series(owner_client, organisation, other_organisation, customer):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    make_series(organisation)
    foreign = make_series(other_organisation, name="Secrète")
    data = {"customer": customer.pk, "series": foreign.pk, "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
    response = owner_client.post(reverse("invoicing:create"), data)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Invoice.objects.filter(series=foreign).exists()


# The command line


def run(*args: str) -> str:
    out = StringIO()
    call_command("series", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_cli_adds_and_lists_series(organisation):
    assert "prochain numéro FO-" in run("add", "Formations", "--pattern", "FO-{YYYY}-{NNN}", "--reset", "yearly")
    run("add", "Avoirs", "--pattern", "AV-{NNNNN}", "--reset", "never", "--default")
    listing = run("list")
    assert "Avoirs *" in listing
    assert "AV-00001" in listing
    assert "Chaque année" in listing
    assert NumberingSeries.objects.get(organisation=organisation, is_default=True).name == "Avoirs"


@pytest.mark.django_db
def test_cli_rejects_an_invalid_pattern_in_french(organisation):
    with pytest.raises(CommandError, match="contient une balise inconnue"):
        run("add", "Formations", "--pattern", "FO-{DD}-{NNN}", "--reset", "never")
    assert not NumberingSeries.objects.exists()


@pytest.mark.django_db
def test_cli_rejects_an_unknown_reset_policy_in_french(organisation):
    with pytest.raises(CommandError, match="valeur « weekly » invalide, choisissez parmi « yearly »"):
        run("add", "Formations", "--pattern", "FO-{NNN}", "--reset", "weekly")


@pytest.mark.django_db
def test_cli_rejects_editing_a_used_series(organisation, customer):
    series = make_series(organisation)
    issue_in(series, customer)
    with pytest.raises(CommandError, match=LOCKED):
        run("edit", "Formations", "--pattern", "FO-{NNNNNN}", "--reset", "never")
    assert "Stages" in run("edit", "Formations", "--rename", "Stages")


@pytest.mark.django_db
def test_cli_names_a_missing_series(organisation):
    with pytest.raises(CommandError, match="Aucune séquence nommée « Inconnue »"):
        run("edit", "Inconnue", "--default")


# The migration that made the reset policy explicit


@pytest.mark.django_db(transaction=True)
def test_migration_stores_the_reset_the_pattern_implied():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("invoicing", "0005_name_the_global_discount"), ("accounts", "0001_initial")]
    after = [("invoicing", "0007_series_reset")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    organisation = apps.get_model("accounts", "Organisation").objects.create(name="Ancienne SARL")
    old_series = apps.get_model("invoicing", "NumberingSeries")
    patterns = {"Mensuelle": "M{YYYY}{MM}-{NNN}", "Annuelle": "A{YY}-{NNNN}", "Continue": "C-{NNNNN}"}
    for name, pattern in patterns.items():
        old_series.objects.create(organisation=organisation, name=name, pattern=pattern)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_series = executor.loader.project_state(after).apps.get_model("invoicing", "NumberingSeries")
    resets = dict(new_series.objects.values_list("name", "reset"))
    assert resets == {"Mensuelle": "monthly", "Annuelle": "yearly", "Continue": "never"}

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_issue_confirmation_shows_the_planned_number(owner_client, organisation, customer):
    series = make_series(organisation, is_default=True)
    issue_in(series, customer, day=timezone.localdate())
    draft = Invoice.objects.create(organisation=organisation, customer=customer)
    response = owner_client.get(reverse("invoicing:issue", kwargs={"pk": draft.pk}))
    content = response.content.decode()
    assert "Numéro prévu" in content
    assert "FO-%d-002" % timezone.localdate().year in content
    assert "séquence « Formations »" in content


@pytest.mark.django_db
def test_first_series_becomes_the_default(organisation, customer):
    save_series(NumberingSeries(organisation=organisation, name="Factures", pattern="FA-{NNNN}", reset="never"))
    draft = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=draft, name="Prestation", quantity=Decimal("1"), unit_price=Decimal("80.00"))
    assert issue_invoice(draft, today=DAY).number == "FA-0001"


@pytest.mark.django_db
def test_default_series_keeps_its_flag_when_unchecked(owner_client, organisation):
    series = make_series(organisation, is_default=True)
    url = reverse("invoicing:series_edit", kwargs={"series_pk": series.pk})
    response = owner_client.post(url, {"name": "Formations", "pattern": series.pattern, "reset": series.reset})
    assert response.status_code == 302
    assert NumberingSeries.objects.get(pk=series.pk).is_default


# Series that could give the same number


@pytest.mark.django_db
def test_page_rejects_prefix_of_existing_series(owner_client, organisation, issued_invoice):
    data = {"name": "Ateliers", "pattern": "F-{YYYY}-{NNNN}", "reset": "yearly"}

    response = owner_client.post(reverse("invoicing:series_create"), data)

    assert response.status_code == 200
    assert "commence comme celui de la séquence" in response.content.decode()
    assert not NumberingSeries.objects.filter(name="Ateliers").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", ["F-{YYYY}-{NNNNNN}", "f-{YYYY}-{NNNN}", "F-2{NNN}", "F-{NNNN}"])
def test_service_rejects_overlapping_prefix(organisation, issued_invoice, pattern):
    series = NumberingSeries(organisation=organisation, name="Ateliers", pattern=pattern, reset=ResetPolicy.NEVER)
    if "{YYYY}" in pattern:
        series.reset = ResetPolicy.YEARLY

    with pytest.raises(InvoicingError, match="pourraient donner le même numéro"):
        save_series(series)


@pytest.mark.django_db
def test_issue_refuses_number_taken_by_older_series(organisation, customer, issued_invoice):
    # A series saved before prefixes had to differ: its next number is already issued.
    legacy = make_series(organisation, name="Ancienne", pattern=issued_invoice.series.pattern)

    with pytest.raises(InvoicingError, match="est déjà pris par une autre facture"):
        issue_in(legacy, customer)

    assert not legacy.counters.filter(last_value__gt=0).exists()


# The credit note series and the invoice editor


def with_credit_note_series(organisation):
    from ardoise.invoicing.credit_notes import create_credit_note_series

    factures = make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)
    return factures, formations, create_credit_note_series(organisation)


@pytest.mark.django_db
def test_editor_leaves_out_credit_note_series(owner_client, organisation):
    factures, formations, _avoirs = with_credit_note_series(organisation)

    form = owner_client.get(reverse("invoicing:create")).context["form"]

    assert list(form.fields["series"].queryset) == [factures, formations]


@pytest.mark.django_db
def test_editor_offers_shared_credit_note_series(owner_client, organisation):
    factures, _formations, _avoirs = with_credit_note_series(organisation)
    organisation.credit_note_series = factures
    organisation.save()

    form = owner_client.get(reverse("invoicing:create")).context["form"]

    assert factures in form.fields["series"].queryset


@pytest.mark.django_db
def test_editor_lists_default_series_first(owner_client, organisation):
    make_series(organisation, name="Atelier", pattern="AT-{YYYY}-{NNNN}")
    factures = make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)

    form = owner_client.get(reverse("invoicing:create")).context["form"]

    assert form.fields["series"].queryset.first() == factures


@pytest.mark.django_db
def test_issue_refuses_invoice_in_credit_note_series(organisation, customer):
    _factures, _formations, avoirs = with_credit_note_series(organisation)

    with pytest.raises(InvoicingError) as refusal:
        issue_in(avoirs, customer)

    assert "La séquence « Avoirs » est réservée aux avoirs" in " ".join(refusal.value.details)
    assert not avoirs.is_used()


# Deleting a series


@pytest.mark.django_db
def test_page_deletes_an_unused_series(owner_client, organisation, customer):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)
    draft = Invoice.objects.create(organisation=organisation, customer=customer, series=formations)

    response = owner_client.post(reverse("invoicing:series_delete", args=[formations.pk]), follow=True)

    assert "Séquence « Formations » supprimée." in response.content.decode()
    assert not NumberingSeries.objects.filter(pk=formations.pk).exists()
    draft.refresh_from_db()
    assert draft.series is None


@pytest.mark.django_db
def test_page_refuses_to_delete_a_used_series(owner_client, organisation, customer):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)
    issue_in(formations, customer)

    response = owner_client.post(reverse("invoicing:series_delete", args=[formations.pk]), follow=True)

    assert "a déjà numéroté des factures : elle ne peut pas être supprimée" in response.content.decode()
    assert NumberingSeries.objects.filter(pk=formations.pk).exists()


@pytest.mark.django_db
def test_series_page_offers_delete_for_unused_series_only(owner_client, organisation, customer):
    factures = make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)

    content = owner_client.get(reverse("invoicing:series")).content.decode()

    assert reverse("invoicing:series_delete", args=[formations.pk]) in content
    assert reverse("invoicing:series_delete", args=[factures.pk]) not in content


@pytest.mark.django_db
def test_member_cannot_delete_a_series(member_client, organisation):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    formations = make_series(organisation)

    response = member_client.post(reverse("invoicing:series_delete", args=[formations.pk]))

    assert response.status_code == 403
    assert NumberingSeries.objects.filter(pk=formations.pk).exists()


@pytest.mark.django_db
def test_cli_deletes_an_unused_series(organisation):
    make_series(organisation, name="Factures", pattern="F-{YYYY}-{NNNN}", is_default=True)
    make_series(organisation)

    assert "Séquence « Formations » supprimée." in run("delete", "Formations")
    assert list(NumberingSeries.objects.values_list("name", flat=True)) == ["Factures"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Factures", "est la séquence par défaut"),
        ("Formations", "a déjà numéroté des factures"),
        ("Avoirs", "numérote les avoirs"),
    ],
)
def test_cli_refuses_to_delete_a_needed_series(organisation, customer, name, message):
    _factures, formations, _avoirs = with_credit_note_series(organisation)
    issue_in(formations, customer)

    with pytest.raises(CommandError, match=message):
        run("delete", name)
    assert NumberingSeries.objects.filter(name=name).exists()


@pytest.mark.django_db
def test_lowercase_tags_are_explained_in_french(organisation):
    with pytest.raises(CommandError, match=r"balises en minuscules \({yyyy}, {mm}, {nnn}\) : les balises s'écrivent"):
        run("add", "Formations", "--pattern", "fo-{yyyy}{mm}-{nnn}", "--reset", "monthly")


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", ["F{YYYY}{MM}-{NNN}", "F-A{NNN}", "FO-{YYYY}-{NNNN}", "{YYYY}-{NNNN}"])
def test_service_accepts_prefix_that_cannot_collide(organisation, issued_invoice, pattern):
    reset = ResetPolicy.YEARLY if "{YYYY}" in pattern else ResetPolicy.NEVER
    if "{MM}" in pattern:
        reset = ResetPolicy.MONTHLY
    series = NumberingSeries(organisation=organisation, name="Ateliers", pattern=pattern, reset=reset)

    save_series(series)

    assert series.pk is not None
