"""Extending and verifying each organisation's hash chain of issued documents, receipts and payments."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.formats import format_date
from ardoise.integrity import canonical
from ardoise.integrity.models import ChainRecord, RecordKind

logger = logging.getLogger(__name__)

CREDIT_NOTE_TYPE_CODE = "381"

# Records are verified in batches, so that at most this many PDFs are in memory at once.
BATCH_SIZE = 200


def invoice_kind(invoice: Any) -> str:
    return RecordKind.CREDIT_NOTE if invoice.type_code == CREDIT_NOTE_TYPE_CODE else RecordKind.INVOICE


def build_record(
    record_model: type[models.Model],
    *,
    organisation_id: int,
    sequence: int,
    previous_hash: str,
    invoice: Any = None,
    lines: list[Any] | None = None,
    files: Any = None,
    payment: Any = None,
    receipt: Any = None,
) -> Any:
    """Build the unsaved chain record of an issued invoice (with its lines and files), a payment or a receipt.

    ``record_model`` is ``ChainRecord`` or its historical model in a migration.
    """
    if invoice is not None:
        kind = invoice_kind(invoice)
        content = canonical.invoice_content(invoice, lines or [])
        pdf_sha256 = canonical.file_digest(files.pdf)
        xml_sha256 = canonical.file_digest(files.xml)
        obj, reference = invoice, invoice.number
    elif payment is not None:
        kind = RecordKind.PAYMENT
        content = canonical.payment_content(payment)
        pdf_sha256 = xml_sha256 = ""
        obj, reference = payment, payment.invoice.number
    else:
        kind = RecordKind.RECEIPT
        content = canonical.receipt_content(receipt)
        pdf_sha256 = xml_sha256 = ""
        obj, reference = receipt, receipt.customer.name[:80]
    content_sha256 = canonical.content_digest(content)
    # Migration 0001's historical model has no receipt field: pass it only for a receipt.
    objects = {"receipt": receipt} if receipt is not None else {}
    return record_model(
        **objects,
        organisation_id=organisation_id,
        sequence=sequence,
        kind=str(kind),
        invoice=invoice,
        payment=payment,
        reference=reference,
        version=canonical.VERSION,
        content_sha256=content_sha256,
        pdf_sha256=pdf_sha256,
        xml_sha256=xml_sha256,
        previous_hash=previous_hash,
        hash=canonical.record_hash(
            organisation_id=organisation_id,
            sequence=sequence,
            kind=str(kind),
            object_id=obj.pk,
            content_sha256=content_sha256,
            pdf_sha256=pdf_sha256,
            xml_sha256=xml_sha256,
            previous_hash=previous_hash,
        ),
    )


def _next_link(organisation_id: int) -> tuple[int, str]:
    last = ChainRecord.objects.filter(organisation_id=organisation_id).order_by("-sequence").first()
    if last is None:
        return 1, ""
    return last.sequence + 1, last.hash


def append_invoice(invoice: Any, files: Any) -> ChainRecord:
    """Chain an issued invoice or credit note, as stored in the database, with its ``IssuedFile``.

    The caller's transaction must hold the organisation's row lock (taken by
    ``issue_invoice``), so that records follow each other without a fork.
    """
    from ardoise.invoicing.models import Invoice

    # Read the row back, so the digest matches what ``verify`` will read (the
    # database may round decimals and date-times differently from Python).
    stored = Invoice.objects.get(pk=invoice.pk)
    sequence, previous_hash = _next_link(stored.organisation_id)
    record = build_record(
        ChainRecord,
        organisation_id=stored.organisation_id,
        sequence=sequence,
        previous_hash=previous_hash,
        invoice=stored,
        lines=list(stored.lines.order_by("position", "id")),
        files=files,
    )
    record.save()
    return record


def append_payment(payment: Any) -> ChainRecord:
    """Chain a recorded payment; the caller's transaction must hold the organisation's row lock."""
    from ardoise.payments.models import Payment

    return _append_row(payment=Payment.objects.select_related("invoice").get(pk=payment.pk))


def append_receipt(receipt: Any) -> ChainRecord:
    """Chain a recorded receipt; the caller's transaction must hold the organisation's row lock."""
    from ardoise.payments.models import Receipt

    return _append_row(receipt=Receipt.objects.select_related("customer").get(pk=receipt.pk))


def _append_row(**stored: Any) -> ChainRecord:
    """Chain the payment or receipt passed as read back from the database, after the last record."""
    (row,) = stored.values()
    sequence, previous_hash = _next_link(row.organisation_id)
    record = build_record(
        ChainRecord, organisation_id=row.organisation_id, sequence=sequence, previous_hash=previous_hash, **stored
    )
    record.save()
    return record


# Verification


class Mismatch(models.TextChoices):
    CONTENT = "content", _("contenu de l'enregistrement modifié")
    PDF = "pdf", _("empreinte du PDF conservé différente")
    XML = "xml", _("empreinte du XML conservé différente")
    LINK = "link", _("lien avec l'enregistrement précédent rompu")
    UNCHAINED = "unchained", _("enregistrement absent de la chaîne")


@dataclass
class Failure:
    """The first record of the chain that does not match, and why.

    ``invoice_id`` is the document's id, or for a payment the invoice it was recorded on.
    """

    kind: str
    reference: str
    date: datetime.date | None
    mismatch: Mismatch
    sequence: int | None = None
    invoice_id: int | None = None
    payment_id: int | None = None
    receipt_id: int | None = None

    @property
    def label(self) -> str:
        """Name the record in French, e.g. « Facture F-2026-0001 du 04/12/2026 »."""
        if self.kind == RecordKind.PAYMENT:
            text = _("Paiement n° %(id)s de la facture %(number)s") % {"id": self.payment_id, "number": self.reference}
        elif self.kind == RecordKind.RECEIPT:
            text = _("Encaissement n° %(id)s de %(customer)s") % {"id": self.receipt_id, "customer": self.reference}
        else:
            text = "%s %s" % (RecordKind(self.kind).label, self.reference)
        if self.date:
            text = _("%(record)s du %(date)s") % {"record": text, "date": format_date(self.date)}
        return text

    @property
    def message(self) -> str:
        if self.sequence is None:
            return _("%(record)s : %(reason)s.") % {"record": self.label, "reason": self.mismatch.label}
        return _("Maillon n° %(sequence)s, %(record)s : %(reason)s.") % {
            "sequence": self.sequence,
            "record": self.label,
            "reason": self.mismatch.label,
        }


@dataclass
class Verification:
    """The result of recomputing an organisation's chain."""

    organisation: Any
    checked_at: datetime.datetime
    counts: Counter[str] = field(default_factory=Counter)
    first: ChainRecord | None = None
    last: ChainRecord | None = None
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    @property
    def final_hash(self) -> str:
        return self.last.hash if self.last is not None else ""

    def counts_by_kind(self) -> list[tuple[str, int]]:
        return [(str(kind.label), self.counts.get(kind.value, 0)) for kind in RecordKind]


def verify(organisation: Any) -> Verification:
    """Recompute the organisation's chain from the stored rows and files; stop at the first mismatch.

    Every record is checked in sequence order: its link to the previous record,
    its own hash, the content of its invoice or payment row, and for documents
    the digests of the stored PDF and XML. Issued documents and payments that
    no record covers are reported after that.
    """
    result = Verification(organisation=organisation, checked_at=timezone.now())
    expected_sequence, previous_hash = 1, ""
    for record, obj, lines, files in _records_with_objects(organisation):
        mismatch = _check(record, obj, lines, files, expected_sequence, previous_hash)
        if mismatch is not None:
            result.failure = _failure(record, obj, mismatch)
            logger.warning(
                "integrity check failed organisation=%s sequence=%s reason=%s",
                organisation.pk,
                record.sequence,
                mismatch.value,
            )
            return result
        result.counts[record.kind] += 1
        result.first = result.first or record
        result.last = record
        expected_sequence, previous_hash = record.sequence + 1, record.hash

    result.failure = _unchained(organisation)
    return result


def _records_with_objects(organisation: Any) -> Iterator[tuple[ChainRecord, Any, list[Any], Any]]:
    """Yield each record with its object, the invoice's lines and stored files, loaded in batches."""
    from ardoise.invoicing.models import Invoice, InvoiceLine, IssuedFile
    from ardoise.payments.models import Payment, Receipt

    records = ChainRecord.objects.filter(organisation=organisation).order_by("sequence")
    last_sequence = 0
    while True:
        batch = list(records.filter(sequence__gt=last_sequence)[:BATCH_SIZE])
        if not batch:
            return
        last_sequence = batch[-1].sequence
        invoice_ids = [record.invoice_id for record in batch if record.invoice_id]
        invoices = Invoice.objects.in_bulk(invoice_ids)
        files = {file.invoice_id: file for file in IssuedFile.objects.filter(invoice_id__in=invoice_ids)}
        lines: dict[int, list[Any]] = {}
        for line in InvoiceLine.objects.filter(invoice_id__in=invoice_ids).order_by("position", "id"):
            lines.setdefault(line.invoice_id, []).append(line)
        payments = Payment.objects.select_related("invoice").in_bulk(
            [record.payment_id for record in batch if record.payment_id]
        )
        receipts = Receipt.objects.in_bulk([record.receipt_id for record in batch if record.receipt_id])
        for record in batch:
            if record.invoice_id:
                yield (
                    record,
                    invoices.get(record.invoice_id),
                    lines.get(record.invoice_id, []),
                    files.get(record.invoice_id),
                )
            elif record.payment_id:
                yield record, payments.get(record.payment_id), [], None
            else:
                yield record, receipts.get(record.receipt_id), [], None


def _check(
    record: ChainRecord, obj: Any, lines: list[Any], files: Any, expected_sequence: int, previous_hash: str
) -> Mismatch | None:
    if record.sequence != expected_sequence or record.previous_hash != previous_hash:
        return Mismatch.LINK
    if record.version != canonical.VERSION or obj is None:
        return Mismatch.CONTENT
    recomputed_hash = canonical.record_hash(
        organisation_id=record.organisation_id,
        sequence=record.sequence,
        kind=record.kind,
        object_id=obj.pk,
        content_sha256=record.content_sha256,
        pdf_sha256=record.pdf_sha256,
        xml_sha256=record.xml_sha256,
        previous_hash=record.previous_hash,
    )
    if recomputed_hash != record.hash:
        return Mismatch.LINK

    if record.payment_id:
        content = canonical.payment_content(obj)
    elif record.receipt_id:
        content = canonical.receipt_content(obj)
    else:
        content = canonical.invoice_content(obj, lines)
    if canonical.content_digest(content) != record.content_sha256 or not _legacy_hash_matches(obj):
        return Mismatch.CONTENT
    if record.invoice_id:
        if files is None or canonical.file_digest(files.pdf) != record.pdf_sha256:
            return Mismatch.PDF
        if canonical.file_digest(files.xml) != record.xml_sha256:
            return Mismatch.XML
    return None


def _legacy_hash_matches(obj: Any) -> bool:
    """Check the hash that invoices issued before the chain table carry in ``Invoice.chain_hash``.

    Their chain records were built from the rows as they were when the chain
    table was created. The older hash proves that those rows had not been
    altered before then.
    """
    if not getattr(obj, "chain_hash", ""):
        return True
    return canonical.legacy_invoice_hash(obj.previous_hash, obj.document or {}, obj.pdf_sha256) == obj.chain_hash


def _failure(record: ChainRecord, obj: Any, mismatch: Mismatch) -> Failure:
    date = None
    if obj is not None:
        date = obj.issue_date if record.invoice_id else obj.date
    return Failure(
        kind=record.kind,
        reference=record.reference,
        date=date,
        mismatch=mismatch,
        sequence=record.sequence,
        invoice_id=record.invoice_id or getattr(obj, "invoice_id", None),
        payment_id=record.payment_id,
        receipt_id=record.receipt_id,
    )


def _unchained(organisation: Any) -> Failure | None:
    """Find an issued document, a receipt or a payment that no chain record covers."""
    from ardoise.invoicing.models import Invoice
    from ardoise.payments.models import Payment, Receipt

    invoice = (
        Invoice.objects.filter(organisation=organisation)
        .issued()
        .filter(chain_record__isnull=True)
        .order_by("issued_at", "id")
        .first()
    )
    if invoice is not None:
        return Failure(
            kind=invoice_kind(invoice),
            reference=invoice.number,
            date=invoice.issue_date,
            mismatch=Mismatch.UNCHAINED,
            invoice_id=invoice.pk,
        )
    payment = (
        Payment.objects.filter(organisation=organisation, chain_record__isnull=True)
        .select_related("invoice")
        .order_by("id")
        .first()
    )
    if payment is not None:
        return Failure(
            kind=RecordKind.PAYMENT,
            reference=payment.invoice.number,
            date=payment.date,
            mismatch=Mismatch.UNCHAINED,
            invoice_id=payment.invoice_id,
            payment_id=payment.pk,
        )
    receipt = (
        Receipt.objects.filter(organisation=organisation, chain_record__isnull=True)
        .select_related("customer")
        .order_by("id")
        .first()
    )
    if receipt is not None:
        return Failure(
            kind=RecordKind.RECEIPT,
            reference=receipt.customer.name[:80],
            date=receipt.date,
            mismatch=Mismatch.UNCHAINED,
            receipt_id=receipt.pk,
        )
    return None
