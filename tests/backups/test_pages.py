"""The « Sauvegardes » page, the dashboard card and the organisation export, as owner, member and outsider."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from ardoise.backups.models import BackupKind, BackupRun, BackupStatus
from ardoise.core.csvfile import BOM


@pytest.fixture(autouse=True)
def backup_folder(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def finished_run(status: str, hours_ago: float, error: str = "") -> BackupRun:
    finished = timezone.now() - datetime.timedelta(hours=hours_ago)
    return BackupRun.objects.create(
        kind=BackupKind.SCHEDULED, status=status, started_at=finished, finished_at=finished, error=error
    )


@pytest.mark.django_db(transaction=True)
def test_owner_backs_up_and_downloads(owner_client, issued_invoice, backup_folder):
    response = owner_client.post(reverse("backups:create"), follow=True)

    run = BackupRun.objects.get()
    assert run.status == BackupStatus.SUCCEEDED
    assert "Sauvegarde écrite" in response.content.decode()
    page = owner_client.get(reverse("backups:list")).content.decode()
    assert run.filename in page
    assert "Dernière sauvegarde réussie" in page

    download = owner_client.get(run.get_download_url())
    content = b"".join(download.streaming_content)
    download.close()
    assert download.status_code == 200
    assert content == (backup_folder / run.filename).read_bytes()
    assert run.filename in download["Content-Disposition"]


@pytest.mark.django_db
def test_member_cannot_see_backups(member_client, issued_invoice):
    run = finished_run(BackupStatus.SUCCEEDED, 1)

    assert member_client.get(reverse("backups:list")).status_code == 403
    assert member_client.post(reverse("backups:create")).status_code == 403
    assert member_client.get(run.get_download_url()).status_code == 404
    assert member_client.get(reverse("backups:export")).status_code == 403
    assert BackupRun.objects.count() == 1


def test_owner_of_shared_installation_only_exports(owner_client, issued_invoice, other_organisation):
    run = finished_run(BackupStatus.SUCCEEDED, 1)

    page = owner_client.get(reverse("backups:list"))

    assert page.status_code == 403
    assert owner_client.get(run.get_download_url()).status_code == 404
    assert owner_client.get(reverse("backups:export")).status_code == 200


@pytest.mark.django_db
def test_nav_links_backups_for_owner_only(owner_client):
    assert reverse("backups:list") in owner_client.get(reverse("dashboard:home")).content.decode()


@pytest.mark.django_db
def test_nav_hides_backups_from_member(member_client):
    assert reverse("backups:list") not in member_client.get(reverse("dashboard:home")).content.decode()


@pytest.mark.django_db
def test_download_of_rotated_archive_is_404(owner_client):
    run = finished_run(BackupStatus.SUCCEEDED, 1)
    run.path = "/nonexistent/ardoise-backup-20261201-023000.tar.gz"
    run.save()

    assert owner_client.get(run.get_download_url()).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], "Aucune sauvegarde réussie"),
        ([(BackupStatus.SUCCEEDED, 60)], "date de plus de deux jours"),
        ([(BackupStatus.SUCCEEDED, 30), (BackupStatus.FAILED, 2, "disque plein")], "a échoué : disque plein"),
    ],
)
def test_dashboard_warns_owner(owner_client, runs, expected):
    for run in runs:
        finished_run(*run)

    page = owner_client.get(reverse("dashboard:home")).content.decode()

    assert expected in page


@pytest.mark.django_db
def test_dashboard_shows_age_of_recent_backup(owner_client):
    finished_run(BackupStatus.SUCCEEDED, 5)

    page = owner_client.get(reverse("dashboard:home")).content.decode()

    assert "Dernière sauvegarde réussie il y a 5" in page
    assert "date de plus de deux jours" not in page


@pytest.mark.django_db
def test_dashboard_hides_backups_from_member(member_client):
    page = member_client.get(reverse("dashboard:home")).content.decode()

    assert "Aucune sauvegarde réussie" not in page


@pytest.mark.django_db
def test_owner_downloads_organisation_export(owner_client, issued_invoice, customer):
    customer.name = '=HYPERLINK("http://exemple.invalid")'
    customer.save()

    response = owner_client.get(reverse("backups:export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"manifest.json", "customers.csv", "customers.json", "documents.csv", "documents.json"} <= names
    assert "documents/F-2026-0001.pdf" in names
    assert archive.read("documents/F-2026-0001.pdf") == bytes(issued_invoice.files.pdf)
    customers_csv = archive.read("customers.csv").decode("utf-8")
    assert customers_csv.startswith(BOM)
    header, row = list(csv.reader(io.StringIO(customers_csv[1:]), delimiter=";"))
    assert row[header.index("name")] == "'" + customer.name
    documents_csv = archive.read("documents.csv").decode("utf-8")
    assert ";%s;" % str(issued_invoice.total_with_vat).replace(".", ",") in documents_csv
    customers = json.loads(archive.read("customers.json"))
    assert customers[0]["name"] == customer.name


@pytest.mark.django_db
def test_export_contains_only_own_organisation(owner_client, issued_invoice, outsider):
    from ardoise.customers.models import Customer

    Customer.objects.create(organisation=outsider.memberships.get().organisation, name="Client du concurrent")

    archive = zipfile.ZipFile(io.BytesIO(owner_client.get(reverse("backups:export")).content))

    assert "Client du concurrent" not in archive.read("customers.json").decode()
    assert "Concurrent SAS" not in archive.read("organisation.json").decode()
