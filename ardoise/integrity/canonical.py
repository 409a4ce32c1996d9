"""The canonical form of chained records, version 1.

A chain record's ``hash`` is computed in three steps:

1. The *content* of the object is a JSON object built from an explicit list of
   columns (``INVOICE_FIELDS`` and ``INVOICE_LINE_FIELDS`` for an issued
   invoice or credit note, ``PAYMENT_FIELDS`` for a payment, ``RECEIPT_FIELDS``
   for a receipt). A decimal is
   written as a string with the column's decimal places ("1065.00"), a date
   as "YYYY-MM-DD", and a date-time in UTC as "YYYY-MM-DDTHH:MM:SS.ffffffZ".
   A foreign key is the related row's id, a JSON column is kept as stored, and
   any other value is written as JSON. An invoice's lines are a list in
   (position, id) order under "lines". The JSON text is serialised with sorted
   keys, no spaces and UTF-8 (``ensure_ascii=False``), and ``content_sha256`` is
   its SHA-256.
2. The digests of the stored files: ``pdf_sha256`` and ``xml_sha256`` are the
   SHA-256 of the PDF and XML bytes kept in ``IssuedFile``; both are empty for
   a payment and a receipt.
3. ``hash`` is the SHA-256 of these lines joined by "\\n": "ardoise-chain",
   the version ("1"), the organisation id, the sequence number, the kind, the
   object id, ``content_sha256``, ``pdf_sha256``, ``xml_sha256`` and the
   previous record's hash ("" for the first record).

The column lists are frozen for version 1: a column added to a model later is
not part of the content until a version 2 is defined, so that adding a column
never breaks the verification of existing records. Receipts joined the chain
after the other kinds, with their own column list; that added a kind and
changed nothing for the records of the others. Everything here works on
historical models too, so that migrations can build records.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any, cast

from django.db import models

VERSION = 1

INVOICE_FIELDS = (
    "id",
    "organisation",
    "customer",
    "series",
    "status",
    "type_code",
    "number",
    "currency",
    "issue_date",
    "due_date",
    "delivery_date",
    "payment_terms_days",
    "purchase_order",
    "buyer_reference",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "notes",
    "imported_from",
    "document_adjustments",
    "vat_exemptions",
    "prepaid_amount",
    "rounding_amount",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "amount_due",
    "document",
    "issued_at",
    "issued_by",
    "pdf_sha256",
    "previous_hash",
    "chain_hash",
)

INVOICE_LINE_FIELDS = (
    "id",
    "position",
    "product",
    "name",
    "description",
    "is_service",
    "quantity",
    "unit",
    "unit_price",
    "base_quantity",
    "vat_rate",
    "vat_category",
    "exemption",
    "exemption_text",
    "discount_percent",
    "extra_adjustments",
)

PAYMENT_FIELDS = (
    "id",
    "organisation",
    "invoice",
    "date",
    "amount",
    "method",
    "reference",
    "reverses",
    "created_at",
    "created_by",
)

RECEIPT_FIELDS = (
    "id",
    "organisation",
    "customer",
    "kind",
    "date",
    "amount",
    "currency",
    "method",
    "reference",
    "bank_fees",
    "reverses",
    "created_at",
    "created_by",
)


def canonical_value(field: models.Field[Any, Any], value: Any) -> Any:
    """Write one column's value in the canonical form described in the module docstring."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        places = field.decimal_places or 0  # type: ignore[attr-defined]
        return str(value.quantize(Decimal(1).scaleb(-places)))
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def row_content(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    content = {}
    for name in names:
        field = cast("models.Field[Any, Any]", obj._meta.get_field(name))
        content[name] = canonical_value(field, getattr(obj, field.attname))
    return content


def invoice_content(invoice: models.Model, lines: list[models.Model]) -> dict[str, Any]:
    content = row_content(invoice, INVOICE_FIELDS)
    content["lines"] = [row_content(line, INVOICE_LINE_FIELDS) for line in lines]
    return content


def payment_content(payment: models.Model) -> dict[str, Any]:
    return row_content(payment, PAYMENT_FIELDS)


def receipt_content(receipt: models.Model) -> dict[str, Any]:
    return row_content(receipt, RECEIPT_FIELDS)


def content_digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(data: bytes | memoryview | None) -> str:
    return hashlib.sha256(bytes(data)).hexdigest() if data is not None else ""


def record_hash(
    *,
    organisation_id: int,
    sequence: int,
    kind: str,
    object_id: int,
    content_sha256: str,
    pdf_sha256: str,
    xml_sha256: str,
    previous_hash: str,
    version: int = VERSION,
) -> str:
    parts = [
        "ardoise-chain",
        str(version),
        str(organisation_id),
        str(sequence),
        kind,
        str(object_id),
        content_sha256,
        pdf_sha256,
        xml_sha256,
        previous_hash,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def legacy_invoice_hash(previous_hash: str, document: dict[str, Any], pdf_sha256: str) -> str:
    """Recompute the hash that invoices issued before the chain table stored in ``Invoice.chain_hash``."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256("\n".join([previous_hash, canonical, pdf_sha256]).encode()).hexdigest()
