"""A backup taken while invoices are being issued contains one consistent moment of the database."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from ardoise.backups.restore import verify_archive
from ardoise.backups.rotation import archives
from ardoise.backups.services import run_backup
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, refresh_totals

DRAFTS = 30


def make_drafts(organisation, customer) -> list[int]:
    ids = []
    for index in range(DRAFTS):
        invoice = Invoice.objects.create(organisation=organisation, customer=customer)
        InvoiceLine.objects.create(
            invoice=invoice,
            position=0,
            name="Prestation %s" % index,
            quantity=Decimal("1"),
            unit="HUR",
            unit_price=Decimal("100.0000") + index,
            vat_rate=Decimal("20.00"),
        )
        refresh_totals(invoice)
        ids.append(invoice.pk)
    return ids


def issue_while_backing_up(draft_ids: list[int], folder) -> tuple[list[BaseException], list[int]]:
    """Issue the drafts in one thread while another thread takes a backup; return errors and issued ids."""
    errors: list[BaseException] = []
    issued: list[int] = []
    started = threading.Event()

    def issue_all() -> None:
        try:
            for draft_id in draft_ids:
                issue_invoice(Invoice.objects.get(pk=draft_id), today=datetime.date(2026, 12, 4))
                issued.append(draft_id)
                started.set()
        except BaseException as error:
            errors.append(error)
        finally:
            started.set()
            connections.close_all()

    def back_up() -> None:
        try:
            started.wait(timeout=60)
            run = run_backup(output=folder)
            if run.error:
                errors.append(AssertionError(run.error))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue_all), threading.Thread(target=back_up)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors, issued


def check_consistent_archive(folder) -> dict:
    (archive,) = archives(folder)
    report = verify_archive(archive)
    counts = report.manifest["counts"]
    assert report.database_errors == []
    assert report.count_errors == []
    assert report.chain_ok, report.chain_output
    # Each issue writes the invoice and its chain record in one transaction: the snapshot has both or neither.
    issued_in_archive = counts["invoicing_issuedfile"]
    assert counts["integrity_chainrecord"] == issued_in_archive
    return counts


@pytest.mark.django_db(transaction=True)
def test_backup_during_issuing_on_sqlite(request, organisation, customer, tmp_path):
    draft_ids = make_drafts(organisation, customer)
    request.getfixturevalue("sqlite_file_database")

    errors, issued = issue_while_backing_up(draft_ids, tmp_path)

    assert errors == []
    assert len(issued) == DRAFTS
    counts = check_consistent_archive(tmp_path)
    assert 1 <= counts["integrity_chainrecord"] <= DRAFTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_during_issuing_on_postgresql(organisation, customer, tmp_path):
    draft_ids = make_drafts(organisation, customer)

    errors, issued = issue_while_backing_up(draft_ids, tmp_path)

    assert errors == []
    assert len(issued) == DRAFTS
    counts = check_consistent_archive(tmp_path)
    assert 1 <= counts["integrity_chainrecord"] <= DRAFTS
