"""The « Tâches » pages, the retry button and the dashboard alert, for each role."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.audit.models import AuditEntry
from ardoise.jobs.models import JobRun, JobUnit, RunStatus, UnitStatus
from ardoise.jobs.registry import PermanentFailure
from ardoise.jobs.services import run_due
from tests.jobs.conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_unit(recording, organisation, clock):
    """A unit of ``organisation`` that failed for good this morning."""
    recording.organisation_id = organisation.pk
    recording.keys = ["facture-7"]
    recording.failures = {"facture-7": [PermanentFailure("Adresse refusée par le serveur")]}
    run_due(DAY, [recording.job])
    return JobUnit.objects.get(key="facture-7")


def install_wide_unit(status: str = UnitStatus.FAILED) -> JobUnit:
    now = timezone.now()
    return JobUnit.objects.create(
        job="tests.recording",
        key="sauvegarde",
        label="Sauvegarde de l'installation",
        due_on=DAY,
        run_after=now,
        status=status,
        error="Disque plein",
        finished_at=now,
    )


def test_member_sees_failures_and_runs(member_client, failed_unit):
    response = member_client.get(reverse("jobs:list"))

    assert response.status_code == 200
    assert "En échec ces 7 derniers jours" in response.text
    assert "Unité facture-7" in response.text
    assert "Adresse refusée par le serveur" in response.text
    assert "Échouée" in response.text


def test_list_without_runs_explains_page(member_client):
    response = member_client.get(reverse("jobs:list"))

    assert "Aucune tâche n'a encore été exécutée" in response.text
    assert "En échec ces 7 derniers jours" not in response.text


def test_retrying_unit_shows_next_attempt(member_client, recording, organisation, clock):
    recording.organisation_id = organisation.pk
    recording.keys = ["a"]
    recording.failures = {"a": [RuntimeError("Connexion refusée")]}
    run_due(DAY, [recording.job])

    response = member_client.get(reverse("jobs:list"))

    assert "Nouvel essai prévu" in response.text
    assert "04/12/2026 10:01" in response.text
    assert "Connexion refusée" in response.text


def test_outsider_sees_nothing_of_other_organisation(outsider_client, failed_unit):
    listing = outsider_client.get(reverse("jobs:list"))
    detail = outsider_client.get(failed_unit.get_absolute_url())

    assert "Unité facture-7" not in listing.text
    assert detail.status_code == 404


def test_install_wide_units_shown_to_owners_only(owner_client, member):
    unit = install_wide_unit()
    client = Client()
    client.force_login(member)

    owner_page = owner_client.get(reverse("jobs:list"))
    member_page = client.get(reverse("jobs:list"))
    member_detail = client.get(unit.get_absolute_url())

    assert "Sauvegarde de l&#x27;installation" in owner_page.text
    assert "Sauvegarde de l&#x27;installation" not in member_page.text
    assert member_detail.status_code == 404


def test_detail_lists_attempts(member_client, failed_unit):
    response = member_client.get(failed_unit.get_absolute_url())

    assert response.status_code == 200
    assert "Abandonnée après 1 essai." in response.text
    assert "Un propriétaire de l'entreprise peut la relancer" in response.text
    assert "Relancer</button>" not in response.text


def test_owner_retries_failed_unit(owner_client, failed_unit, recording, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("jobs:retry", args=[failed_unit.pk]), follow=True)

    failed_unit.refresh_from_db()
    entry = AuditEntry.objects.get(action="job.retried")
    assert "La tâche est relancée" in response.text
    # Huey runs tasks at once in the tests: the queued unit ran again, and succeeded.
    assert recording.ran == ["facture-7", "facture-7"]
    assert failed_unit.status == UnitStatus.DONE
    assert failed_unit.attempts == 1
    assert entry.object_id == str(failed_unit.pk)
    assert entry.data == {"job": "Tâche de test"}


def test_owner_sees_retry_button(owner_client, failed_unit):
    response = owner_client.get(failed_unit.get_absolute_url())

    assert "Relancer</button>" in response.text


def test_member_cannot_retry(member_client, failed_unit, recording):
    response = member_client.post(reverse("jobs:retry", args=[failed_unit.pk]), follow=True)

    failed_unit.refresh_from_db()
    assert "Seuls les propriétaires de l&#x27;entreprise peuvent relancer une tâche." in response.text
    assert failed_unit.status == UnitStatus.FAILED
    assert recording.ran == ["facture-7"]


def test_retry_of_done_unit_changes_nothing(owner_client, recording, organisation, clock):
    recording.organisation_id = organisation.pk
    recording.keys = ["a"]
    run_due(DAY, [recording.job])
    unit = JobUnit.objects.get(key="a")

    response = owner_client.post(reverse("jobs:retry", args=[unit.pk]), follow=True)

    assert "Cette tâche n&#x27;est plus en échec : rien à relancer." in response.text
    assert JobRun.objects.filter(unit=unit).count() == 1


def test_retry_needs_post(owner_client, failed_unit):
    assert owner_client.get(reverse("jobs:retry", args=[failed_unit.pk])).status_code == 405


def test_dashboard_alerts_on_recent_failure(member_client, failed_unit):
    response = member_client.get(reverse("dashboard:home"))

    assert "Tâches en échec" in response.text
    assert "1 tâche automatique a échoué ces 7 derniers jours" in response.text
    assert 'href="%s"' % reverse("jobs:list") in response.text


def test_dashboard_forgets_failures_after_a_week(member_client, failed_unit):
    JobUnit.objects.filter(pk=failed_unit.pk).update(finished_at=failed_unit.finished_at - datetime.timedelta(days=8))

    response = member_client.get(reverse("dashboard:home"))

    assert "Tâches en échec" not in response.text


def test_dashboard_ignores_other_organisation_failures(outsider_client, failed_unit):
    response = outsider_client.get(reverse("dashboard:home"))

    assert "Tâches en échec" not in response.text


def test_dashboard_shows_install_failure_to_owner_only(owner_client, member):
    install_wide_unit()
    client = Client()
    client.force_login(member)

    assert "Tâches en échec" in owner_client.get(reverse("dashboard:home")).text
    assert "Tâches en échec" not in client.get(reverse("dashboard:home")).text


def test_interrupted_run_is_labelled(member_client, recording, organisation, clock):
    from ardoise.jobs.services import claim, discover

    recording.organisation_id = organisation.pk
    recording.keys = ["a"]
    discover(recording.job, DAY)
    claim(JobUnit.objects.get(key="a").pk)
    clock.shift(datetime.timedelta(minutes=15))
    run_due(DAY, [recording.job])

    response = member_client.get(JobUnit.objects.get(key="a").get_absolute_url())

    assert JobRun.objects.filter(status=RunStatus.INTERRUPTED).count() == 1
    assert "Interrompue" in response.text
    assert "s&#x27;est arrêté avant la fin" in response.text
