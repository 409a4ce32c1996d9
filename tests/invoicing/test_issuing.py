"""Issuing: numbering without gaps, frozen snapshots, immutability at every layer."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ardoise.integrity.services import Mismatch, verify
from ardoise.invoicing.exceptions import InvoicingError, IssuedInvoiceError
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, IssuedFile
from ardoise.invoicing.services import delete_draft, issue_invoice, refresh_totals

DAY = datetime.date(2026, 12, 4)


def make_draft(organisation, customer, price="100.00"):
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=invoice, name="Prestation", quantity=Decimal("1"), unit_price=Decimal(price))
    refresh_totals(invoice)
    return invoice


@pytest.mark.django_db
def test_issue_assigns_number_dates_and_totals(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)
    assert invoice.number == "F-2026-0001"
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.issue_date == DAY
    assert invoice.due_date == datetime.date(2027, 1, 3)
    # 12.5 h × 65.00 = 812.50 at 20 %; 3 × 28.436 = 85.31 at 5.5 %
    assert invoice.total_without_vat == Decimal("897.81")
    assert invoice.total_vat == Decimal("167.19")
    assert invoice.total_with_vat == Decimal("1065.00")
    assert invoice.amount_due == Decimal("1065.00")


@pytest.mark.django_db
def test_issue_stores_pdf_and_xml_bytes(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)
    files = IssuedFile.objects.get(invoice=invoice)
    assert bytes(files.pdf).startswith(b"%PDF-")
    assert b"F-2026-0001" in bytes(files.xml)
    assert verify(invoice.organisation).ok


@pytest.mark.django_db
def test_numbers_follow_each_other_and_restart_each_year(organisation, customer):
    numbers = [issue_invoice(make_draft(organisation, customer), today=DAY).number for _ in range(3)]
    next_year = issue_invoice(make_draft(organisation, customer), today=datetime.date(2027, 1, 2)).number
    assert numbers == ["F-2026-0001", "F-2026-0002", "F-2026-0003"]
    assert next_year == "F-2027-0001"


@pytest.mark.django_db
def test_deleting_drafts_never_consumes_a_number(organisation, customer):
    first = issue_invoice(make_draft(organisation, customer), today=DAY)
    for _ in range(3):
        delete_draft(make_draft(organisation, customer))
    second = issue_invoice(make_draft(organisation, customer), today=DAY)
    assert (first.number, second.number) == ("F-2026-0001", "F-2026-0002")


@pytest.mark.django_db
def test_failed_issue_keeps_the_draft_and_the_number(organisation, customer):
    customer.address_line1 = ""
    customer.save()
    draft = make_draft(organisation, customer)
    with pytest.raises(InvoicingError) as raised:
        issue_invoice(draft, today=DAY)
    assert any("adresse de facturation" in detail for detail in raised.value.details)
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert draft.number == ""
    customer.address_line1 = "3 place Bellecour"
    customer.save()
    assert issue_invoice(draft, today=DAY).number == "F-2026-0001"


@pytest.mark.django_db
def test_issue_refused_with_incomplete_organisation_profile(organisation, customer):
    organisation.siren = ""
    organisation.save()
    with pytest.raises(InvoicingError) as raised:
        issue_invoice(make_draft(organisation, customer), today=DAY)
    assert "SIREN" in raised.value.details[0]


@pytest.mark.django_db
def test_snapshot_does_not_follow_later_customer_edits(draft_invoice, customer):
    invoice = issue_invoice(draft_invoice, today=DAY)
    customer.name = "Nouveau nom"
    customer.save()
    invoice.refresh_from_db()
    assert invoice.document["buyer"]["name"] == "Boulangerie Martin SAS"


@pytest.mark.django_db
def test_issued_invoice_refuses_model_save_and_delete(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)
    invoice.notes = "changed"
    with pytest.raises(IssuedInvoiceError, match="ne peut plus être modifiée"):
        invoice.save()
    with pytest.raises(IssuedInvoiceError):
        invoice.delete()


@pytest.mark.django_db
def test_issued_invoice_refuses_line_changes(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)
    line = invoice.lines.first()
    line.unit_price = Decimal("1")
    with pytest.raises(IssuedInvoiceError):
        line.save()
    with pytest.raises(IssuedInvoiceError):
        InvoiceLine(invoice=invoice, name="Ajout", unit_price=Decimal("1")).save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda pk: Invoice.objects.filter(pk=pk).update(notes="changed"),
        lambda pk: Invoice.objects.filter(pk=pk).update(total_with_vat=Decimal("1")),
        lambda pk: Invoice.objects.filter(pk=pk).delete(),
        lambda pk: InvoiceLine.objects.filter(invoice_id=pk).update(unit_price=Decimal("1")),
        lambda pk: InvoiceLine.objects.filter(invoice_id=pk).delete(),
        lambda pk: IssuedFile.objects.filter(invoice_id=pk).update(pdf=b"forged"),
        lambda pk: IssuedFile.objects.filter(invoice_id=pk).delete(),
    ],
    ids=["notes", "total", "delete", "line-update", "line-delete", "pdf-update", "pdf-delete"],
)
def test_database_refuses_changes_that_bypass_the_models(draft_invoice, change):
    invoice = issue_invoice(draft_invoice, today=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        change(invoice.pk)


@pytest.mark.django_db
def test_database_refuses_raw_sql_update(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=DAY)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_invoice SET number = 'F-2026-9999' WHERE id = %s", [invoice.pk])


@pytest.mark.django_db
def test_chain_detects_a_tampered_pdf(draft_invoice, organisation, customer):
    issue_invoice(draft_invoice, today=DAY)
    issue_invoice(make_draft(organisation, customer), today=DAY)
    assert verify(organisation).ok
    # Tamper as someone with direct access to the database would: switch the trigger off first.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER invoicing_file_no_update")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE invoicing_issuedfile DISABLE TRIGGER invoicing_file_immutable")
        cursor.execute(
            "UPDATE invoicing_issuedfile SET pdf = %s WHERE id = (SELECT MIN(id) FROM invoicing_issuedfile)",
            [b"forged"],
        )
    failure = verify(organisation).failure
    assert failure is not None
    assert failure.reference == "F-2026-0001"
    assert failure.mismatch == Mismatch.PDF


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_get_gapless_unique_numbers(organisation, customer):
    drafts = [make_draft(organisation, customer) for _ in range(20)]
    barrier = threading.Barrier(len(drafts))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue(draft: Invoice) -> None:
        try:
            barrier.wait()
            numbers.append(issue_invoice(draft, today=DAY).number)
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(numbers) == ["F-2026-%04d" % n for n in range(1, 21)]
    assert verify(organisation).ok
