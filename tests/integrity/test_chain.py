"""The hash chain over issued documents and payments: building it, and detecting every kind of tampering."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.integrity import canonical
from ardoise.integrity.management.commands.verify import Command as VerifyCommand
from ardoise.integrity.models import ChainRecord, RecordKind
from ardoise.integrity.services import Mismatch, append_invoice, verify
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.payments.models import Payment
from ardoise.payments.services import receive_payment, record_payment, reverse_payment


def issue_another(organisation, customer, price="50.00"):
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=invoice, name="Prestation", quantity=Decimal("1"), unit_price=Decimal(price))
    refresh_totals(invoice)
    return issue_invoice(invoice, today=datetime.date(2026, 12, 5))


def run_verify(*args: str) -> str:
    out = StringIO()
    call_command("verify", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.mark.django_db
def test_chain_follows_issue_and_payment_order(paid_invoice, organisation, customer):
    second = issue_another(organisation, customer)
    payment = Payment.objects.get(invoice=paid_invoice)

    records = list(ChainRecord.objects.filter(organisation=organisation).order_by("sequence"))

    assert [(record.sequence, record.kind) for record in records] == [
        (1, RecordKind.INVOICE),
        (2, RecordKind.RECEIPT),
        (3, RecordKind.PAYMENT),
        (4, RecordKind.INVOICE),
    ]
    assert [records[0].invoice_id, records[1].receipt_id, records[2].payment_id, records[3].invoice_id] == [
        paid_invoice.pk,
        payment.receipt_id,
        payment.pk,
        second.pk,
    ]
    assert records[0].previous_hash == ""
    assert [record.previous_hash for record in records[1:]] == [record.hash for record in records[:-1]]


@pytest.mark.django_db
def test_record_hash_covers_content_files_and_previous_hash(issued_invoice):
    record = ChainRecord.objects.get(invoice=issued_invoice)
    files = issued_invoice.files

    assert record.pdf_sha256 == canonical.file_digest(files.pdf)
    assert record.xml_sha256 == canonical.file_digest(files.xml)
    assert record.hash == canonical.record_hash(
        organisation_id=issued_invoice.organisation_id,
        sequence=1,
        kind="invoice",
        object_id=issued_invoice.pk,
        content_sha256=record.content_sha256,
        pdf_sha256=record.pdf_sha256,
        xml_sha256=record.xml_sha256,
        previous_hash="",
    )


@pytest.mark.django_db
def test_intact_chain_counts_records_per_kind(paid_invoice, organisation, customer, owner):
    issue_another(organisation, customer)
    reverse_payment(Payment.objects.get(invoice=paid_invoice), user=owner)

    result = verify(organisation)

    assert result.ok
    assert result.checked == 6
    assert dict(result.counts) == {"invoice": 2, "receipt": 2, "payment": 2}
    assert result.first.sequence == 1
    assert result.last.sequence == 6
    assert result.final_hash == result.last.hash


@pytest.mark.django_db
def test_chains_are_separate_per_organisation(issued_invoice, other_organisation):
    assert verify(other_organisation).checked == 0
    assert verify(other_organisation).ok
    assert verify(issued_invoice.organisation).checked == 1


@pytest.mark.django_db
def test_altered_invoice_row_is_detected(paid_invoice, organisation, customer, tamper):
    issue_another(organisation, customer)

    tamper("UPDATE invoicing_invoice SET total_with_vat = %s WHERE id = %s", ["10.00", paid_invoice.pk])

    result = verify(organisation)
    assert result.failure is not None
    assert result.failure.mismatch == Mismatch.CONTENT
    assert result.failure.reference == "F-2026-0001"
    assert result.failure.sequence == 1
    assert result.checked == 0


@pytest.mark.django_db
def test_altered_invoice_line_is_detected(issued_invoice, tamper):
    line = issued_invoice.lines.first()

    tamper("UPDATE invoicing_invoiceline SET unit_price = %s WHERE id = %s", ["1.0000", line.pk])

    assert verify(issued_invoice.organisation).failure.mismatch == Mismatch.CONTENT


@pytest.mark.django_db
def test_altered_stored_pdf_is_detected(paid_invoice, organisation, customer, tamper):
    second = issue_another(organisation, customer)

    tamper("UPDATE invoicing_issuedfile SET pdf = %s WHERE invoice_id = %s", [b"%PDF-1.7 forged", second.pk])

    result = verify(organisation)
    assert result.failure.mismatch == Mismatch.PDF
    assert result.failure.reference == second.number
    assert result.checked == 3


@pytest.mark.django_db
def test_altered_stored_xml_is_detected(issued_invoice, tamper):
    tamper("UPDATE invoicing_issuedfile SET xml = %s WHERE invoice_id = %s", [b"<forged/>", issued_invoice.pk])

    assert verify(issued_invoice.organisation).failure.mismatch == Mismatch.XML


@pytest.mark.django_db
def test_altered_payment_row_is_detected(paid_invoice, organisation, tamper):
    payment = Payment.objects.get(invoice=paid_invoice)

    tamper("UPDATE payments_payment SET amount = %s WHERE id = %s", ["1065.00", payment.pk])

    failure = verify(organisation).failure
    assert failure.mismatch == Mismatch.CONTENT
    assert failure.kind == RecordKind.PAYMENT
    assert failure.payment_id == payment.pk
    assert failure.message == (
        "Maillon n° 3, Paiement n° %s de la facture F-2026-0001 du 08/12/2026 : contenu de l'enregistrement modifié."
        % payment.pk
    )


@pytest.mark.django_db
def test_altered_receipt_row_is_detected(paid_invoice, organisation, tamper):
    receipt = Payment.objects.get(invoice=paid_invoice).receipt

    tamper("UPDATE payments_receipt SET amount = %s WHERE id = %s", ["2000.00", receipt.pk])

    failure = verify(organisation).failure
    assert failure.mismatch == Mismatch.CONTENT
    assert failure.kind == RecordKind.RECEIPT
    assert failure.message == (
        "Maillon n° 2, Encaissement n° %s de Boulangerie Martin SAS du 08/12/2026 : "
        "contenu de l'enregistrement modifié." % receipt.pk
    )


@pytest.mark.django_db
def test_unchained_receipt_is_detected(paid_invoice, organisation, customer, tamper):
    receipt = receive_payment(customer, Decimal("10.00"), datetime.date(2026, 12, 9), allocations=[])
    tamper("DELETE FROM integrity_chainrecord WHERE receipt_id = %s", [receipt.pk])

    failure = verify(organisation).failure
    assert failure.mismatch == Mismatch.UNCHAINED
    assert failure.receipt_id == receipt.pk


@pytest.mark.django_db
def test_rewritten_chain_record_breaks_the_link(paid_invoice, organisation, tamper):
    first = ChainRecord.objects.get(organisation=organisation, sequence=1)

    tamper("UPDATE integrity_chainrecord SET hash = %s WHERE id = %s", ["0" * 64, first.pk])

    failure = verify(organisation).failure
    assert failure.mismatch == Mismatch.LINK
    assert failure.sequence == 1


@pytest.mark.django_db
def test_deleted_chain_record_is_detected(paid_invoice, organisation, tamper):
    tamper("DELETE FROM integrity_chainrecord WHERE organisation_id = %s AND sequence = 3", [organisation.pk])

    failure = verify(organisation).failure
    assert failure.mismatch == Mismatch.UNCHAINED
    assert failure.kind == RecordKind.PAYMENT


@pytest.mark.django_db
def test_legacy_hash_of_older_invoices_is_still_checked(issued_invoice, tamper):
    # Invoices issued before the chain table carry the older hash in chain_hash.
    legacy = canonical.legacy_invoice_hash("", issued_invoice.document, issued_invoice.pdf_sha256)
    tamper("UPDATE invoicing_invoice SET chain_hash = %s WHERE id = %s", [legacy, issued_invoice.pk])
    tamper("DELETE FROM integrity_chainrecord WHERE invoice_id = %s", [issued_invoice.pk])
    append_invoice(issued_invoice, issued_invoice.files)
    assert verify(issued_invoice.organisation).ok

    tamper(
        "UPDATE invoicing_invoice SET document = %s WHERE id = %s",
        ['{"number": "F-2026-0001"}', issued_invoice.pk],
    )
    assert verify(issued_invoice.organisation).failure.mismatch == Mismatch.CONTENT


@pytest.mark.django_db
def test_verify_command_prints_count_and_exits_zero(paid_invoice, organisation):
    output = run_verify("--organisation", organisation.siren)

    assert output == (
        "Atelier Dupont SARL : 3 enregistrements vérifiés "
        "(Facture : 1, Avoir : 0, Paiement : 1, Encaissement : 1), chaîne intacte."
    )


@pytest.mark.django_db
def test_verify_command_names_the_altered_record_and_fails(paid_invoice, organisation, tamper):
    tamper("UPDATE invoicing_issuedfile SET pdf = %s WHERE invoice_id = %s", [b"forged", paid_invoice.pk])

    with pytest.raises(CommandError, match="1 entreprise a une chaîne d'intégrité rompue"):
        run_verify()


@pytest.mark.django_db
def test_verify_command_output_names_record_and_difference(paid_invoice, organisation, tamper):
    tamper("UPDATE invoicing_issuedfile SET pdf = %s WHERE invoice_id = %s", [b"forged", paid_invoice.pk])
    out, err = StringIO(), StringIO()
    command = VerifyCommand(stdout=out, stderr=err)
    command._called_from_command_line = True
    with pytest.raises(SystemExit) as exit_info:
        command.execute(organisation=None, traceback=False, no_color=True, force_color=False, skip_checks=True)

    assert exit_info.value.code == 1
    assert out.getvalue().strip() == (
        "Atelier Dupont SARL : ÉCHEC après 0 enregistrements conformes. Maillon n° 1, Facture F-2026-0001 "
        "du 04/12/2026 : empreinte du PDF conservé différente."
    )
    assert "Erreur : 1 entreprise a une chaîne d'intégrité rompue" in err.getvalue()


@pytest.mark.django_db
def test_verify_command_rejects_unknown_organisation(issued_invoice):
    with pytest.raises(CommandError, match="Aucune entreprise ne correspond à « 999999999 »"):
        run_verify("--organisation", "999999999")


@pytest.mark.django_db
def test_payment_is_chained_with_the_organisation_lock(issued_invoice, organisation):
    payment = record_payment(issued_invoice, Decimal("10.00"), datetime.date(2026, 12, 9))

    assert payment.receipt.chain_record.sequence == 2
    assert payment.chain_record.sequence == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_and_payments_keep_one_unbroken_chain(issued_invoice, organisation, customer):
    import threading

    from django.db import connection

    drafts = []
    for _ in range(6):
        draft = Invoice.objects.create(organisation=organisation, customer=customer)
        InvoiceLine.objects.create(invoice=draft, name="Prestation", quantity=Decimal("1"), unit_price=Decimal("10"))
        refresh_totals(draft)
        drafts.append(draft)
    barrier = threading.Barrier(12)
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)
        finally:
            connection.close()

    actions = [lambda draft=draft: issue_invoice(draft, today=datetime.date(2026, 12, 5)) for draft in drafts]
    actions += [lambda: record_payment(issued_invoice, Decimal("10.00"), datetime.date(2026, 12, 9)) for _ in range(6)]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    result = verify(organisation)
    assert result.ok
    assert dict(result.counts) == {"invoice": 7, "receipt": 6, "payment": 6}
    assert list(ChainRecord.objects.filter(organisation=organisation).values_list("sequence", flat=True)) == list(
        range(1, 20)
    )
