"""Invoices and credit notes: list, read, create and update drafts, issue, send, record payments, download files.

Drafts are validated by the forms of the invoice editor and saved, issued and
sent by the same services as the screens, so that the API enforces the same rules.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, reject_nul, scoped_or_404, text
from ardoise.api.endpoints.products import rate_choice
from ardoise.api.formdata import current_data, overlay, post_value
from ardoise.api.idempotency import run_once
from ardoise.api.problems import ApiProblem, conflict, form_errors, validation_problem
from ardoise.api.schema import MAX_ID, PageQuery, file_response, paginate
from ardoise.catalogue.models import Product
from ardoise.invoicing import queries, services
from ardoise.invoicing.exceptions import InvoicingError, IssuedInvoiceError
from ardoise.invoicing.exports import issued_ubl
from ardoise.invoicing.forms import LINES_PREFIX, DraftForm, LineForm, LineFormSet, adjustment_formset
from ardoise.invoicing.management.commands.invoice import without_attachments
from ardoise.invoicing.models import DocumentType, Invoice, IssuedFile, PaymentState
from ardoise.invoicing.presentation import invoice_filename
from ardoise.invoicing.vat_situations import line_initial
from ardoise.invoicing.views import _discount_fits, _product_values, live_summary
from ardoise.mailing.forms import InvoiceEmailForm
from ardoise.mailing.services import send_invoice_email
from ardoise.payments.forms import PaymentForm
from ardoise.payments.services import PaymentError, record_payment

router = Router(tags=["Factures et avoirs"])

MAX_LINES = 500
LINE_FIELDS = ["product", "name", "description", "quantity", "unit", "unit_price", "vat_rate", "exemption", "kind"]


class LineIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """A line of the draft; with ``product``, the fields left out are copied from the catalogue article."""

    product: int | None = Field(None, ge=1, le=MAX_ID, description="Id d'un article du catalogue.")
    name: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = Field(None, description="Prix unitaire HT, 6 décimales au plus.")
    vat_rate: Decimal | None = None
    exemption: str | None = Field(None, description="Motif d'exonération, obligatoire avec un taux de 0 %.")
    discount_percent: Decimal | None = None
    kind: str | None = Field(None, description="service (prestation) ou goods (vente de biens).")


class InvoiceIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The draft's header and lines.

    On an update, a field left out keeps its value, and ``lines`` replaces all lines.
    """

    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Id du client.")
    series: int | None = Field(None, ge=1, le=MAX_ID, description="Id de la séquence, quand il y en a plusieurs.")
    delivery_date: datetime.date | None = None
    payment_terms_days: int | None = Field(None, description="Vide : délai du client ou de l'entreprise.")
    purchase_order: str | None = None
    currency: str | None = Field(None, description="Code ISO 4217, EUR par défaut.")
    exchange_rate: Decimal | None = None
    prepaid_amount: Decimal | None = None
    rounding_amount: Decimal | None = None
    notes: str | None = None
    discount_kind: Literal["percent", "amount"] | None = None
    discount_value: Decimal | None = None
    discount_reason: str | None = None
    lines: list[LineIn] | None = Field(None, max_length=MAX_LINES)


class LineOut(Schema):
    id: int
    product: int | None
    credited_line: int | None = Field(description="Sur un avoir : id de la ligne de facture que cette ligne crédite.")
    name: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    vat_rate: str
    vat_category: str
    exemption: str
    discount_percent: str
    kind: str


class InvoiceOut(Schema):
    id: int
    type: Literal["invoice", "credit_note"] = Field(description="invoice : facture ; credit_note : avoir.")
    type_code: str = Field(description="Code UNTDID 1001 : 380 facture, 381 avoir…")
    status: Literal["draft", "issued"]
    payment_state: str
    number: str
    customer: int
    customer_name: str
    credited_invoice: int | None
    series: int | None
    issue_date: datetime.date | None
    due_date: datetime.date | None
    delivery_date: datetime.date | None
    payment_terms_days: int | None
    purchase_order: str
    currency: str
    exchange_rate: str | None
    discount_kind: str
    discount_value: str
    discount_reason: str
    prepaid_amount: str
    rounding_amount: str
    notes: str
    total_without_vat: str
    total_vat: str
    total_with_vat: str
    amount_due: str
    balance: str
    created_at: datetime.datetime
    issued_at: datetime.datetime | None
    lines: list[LineOut]


class InvoicePage(Schema):
    count: int
    page: int
    per_page: int
    items: list[InvoiceOut]


class InvoiceFilters(PageQuery):
    state: Literal[tuple(PaymentState.values)] | None = Field(  # type: ignore[valid-type]
        None, description="État : draft, issued, partially_paid, paid, overdue, cancelled, refund_due, settled."
    )
    type: Literal["invoice", "credit_note"] | None = None
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    credited_invoice: int | None = Field(None, ge=1, le=MAX_ID, description="Les avoirs de cette facture.")
    q: str | None = Field(None, max_length=100, description="Numéro ou nom du client.")
    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None


class SendIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The e-mail; a field left out takes the value the invoice page proposes."""

    to: str | None = None
    cc: str | None = Field(None, description="Adresses en copie, séparées par des virgules.")
    subject: str | None = None
    body: str | None = None


class EmailOut(Schema):
    id: int
    status: str = Field(description="sent : envoyé ; stored : écrit dans la boîte d'envoi locale ; failed : échec.")
    to: str
    error: str


class PaymentIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    amount: Decimal
    date: datetime.date | None = Field(None, description="Date du paiement ; aujourd'hui par défaut.")
    method: str | None = Field(None, description="virement, cheque, carte, especes ou prelevement.")
    reference: str | None = None
    bank_fees: Decimal | None = None


class PaymentOut(Schema):
    id: int
    invoice: int
    receipt: int | None
    date: datetime.date
    amount: str
    method: str
    reference: str


def _type(invoice: Invoice) -> str:
    return "credit_note" if invoice.is_credit_note else "invoice"


def serialise_line(line: Any) -> dict[str, Any]:
    return {
        "id": line.pk,
        "product": line.product_id,
        "credited_line": line.credited_line_id,
        "name": line.name,
        "description": line.description,
        "quantity": text(line.quantity),
        "unit": line.unit,
        "unit_price": text(line.unit_price),
        "vat_rate": text(line.vat_rate),
        "vat_category": line.vat_category,
        "exemption": line.exemption,
        "discount_percent": text(line.discount_percent),
        "kind": "service" if line.is_service else "goods",
    }


def serialise(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "type": _type(invoice),
        "type_code": invoice.type_code,
        "status": invoice.status,
        "payment_state": invoice.payment_state(),
        "number": invoice.number,
        "customer": invoice.customer_id,
        "customer_name": invoice.customer.name,
        "credited_invoice": invoice.credited_invoice_id,
        "series": invoice.series_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "delivery_date": invoice.delivery_date,
        "payment_terms_days": invoice.payment_terms_days,
        "purchase_order": invoice.purchase_order,
        "currency": invoice.currency,
        "exchange_rate": text(invoice.exchange_rate),
        "discount_kind": invoice.discount_kind,
        "discount_value": text(invoice.discount_value),
        "discount_reason": invoice.discount_reason,
        "prepaid_amount": text(invoice.prepaid_amount),
        "rounding_amount": text(invoice.rounding_amount),
        "notes": invoice.notes,
        "total_without_vat": text(invoice.total_without_vat),
        "total_vat": text(invoice.total_vat),
        "total_with_vat": text(invoice.total_with_vat),
        "amount_due": text(invoice.amount_due),
        "balance": text(invoice.balance()),
        "created_at": invoice.created_at,
        "issued_at": invoice.issued_at,
        "lines": [serialise_line(line) for line in invoice.lines.all()],
    }


def _invoices(request: HttpRequest) -> Any:
    return queries.with_balance(
        # A recurring plan's template draft is part of the plan, never an invoice of its own.
        Invoice.objects.filter(organisation=request.organisation, recurring_template__isnull=True)  # type: ignore[attr-defined]
        .select_related("customer")
        .prefetch_related("lines")
    )


def _get(request: HttpRequest, invoice_id: int) -> Invoice:
    return scoped_or_404(request, _invoices(request), invoice_id)


def get_serialised(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    """Return the invoice or credit note as the API writes it, read again with its balance and lines."""
    return serialise(_get(request, invoice_id))


# Reading


@router.get("/", response=InvoicePage, summary="Lister les factures et les avoirs")
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters]) -> dict[str, Any]:
    reject_nul(q=filters.q)
    invoices = _invoices(request)
    if filters.state:
        invoices = queries.in_state(invoices, filters.state, timezone.localdate())
    if filters.q:
        invoices = queries.search(invoices, filters.q.strip(), request.organisation)  # type: ignore[attr-defined]
    if filters.type == "credit_note":
        invoices = invoices.filter(type_code=DocumentType.CREDIT_NOTE)
    elif filters.type == "invoice":
        invoices = invoices.exclude(type_code=DocumentType.CREDIT_NOTE)
    if filters.customer:
        invoices = invoices.filter(customer_id=filters.customer)
    if filters.credited_invoice:
        invoices = invoices.filter(credited_invoice_id=filters.credited_invoice)
    if filters.issued_from:
        invoices = invoices.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        invoices = invoices.filter(issue_date__lte=filters.issued_to)
    ordered = invoices.order_by("-issue_date", "-number", "-created_at", "-id")
    return paginate(ordered, filters, serialise)


@router.get("/{invoice_id}", response=InvoiceOut, summary="Lire une facture ou un avoir")
def get_invoice(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return serialise(_get(request, invoice_id))


# Drafts


def _line_data(values: dict[str, Any], organisation: Any, customer: Any) -> dict[str, Any]:
    """Return the posted fields of a new line: the editor's defaults, the article's values, then the API's."""
    data = current_data(LineForm(organisation=organisation, initial=line_initial(organisation, customer)))
    product_id = values.get("product")
    if product_id is not None:
        product = Product.objects.filter(organisation=organisation, pk=product_id).first()
        if product is not None:
            data.update(_product_values(product))
    if values.get("vat_rate") is not None:
        values = {**values, "vat_rate": rate_choice(values["vat_rate"])}
    return overlay(data, values)


def _posted_lines(
    invoice: Any, lines: list[dict[str, Any]] | None, customer: Any, formset_class: Any = LineFormSet
) -> dict[str, Any]:
    """Return the formset data: the saved lines kept as they are, or deleted and replaced by ``lines``.

    ``invoice`` is an invoice, or a quote with ``QuoteLineFormSet`` as ``formset_class``.
    """
    organisation = invoice.organisation
    saved = formset_class(instance=invoice, prefix=LINES_PREFIX, organisation=organisation) if invoice.pk else None
    data: dict[str, Any] = {}
    saved_forms = saved.forms if saved is not None else []
    for form in saved_forms:
        data.update(current_data(form))
        if lines is not None:
            data[form.add_prefix("DELETE")] = "on"
    for index, values in enumerate(lines or [], start=len(saved_forms)):
        for name, value in _line_data(values, organisation, customer).items():
            posted = post_value(value)
            if posted is not None:
                data["%s-%s-%s" % (LINES_PREFIX, index, name)] = posted
    data["%s-TOTAL_FORMS" % LINES_PREFIX] = str(len(saved_forms) + len(lines or []))
    data["%s-INITIAL_FORMS" % LINES_PREFIX] = str(len(saved_forms))
    data["%s-MIN_NUM_FORMS" % LINES_PREFIX] = "0"
    data["%s-MAX_NUM_FORMS" % LINES_PREFIX] = "1000"
    return data


def _line_errors(formset: Any) -> list[dict[str, Any]]:
    errors = []
    new_index = 0
    for form in formset.forms:
        if form.instance.pk and formset.can_delete and formset._should_delete_form(form):
            continue
        position = new_index
        new_index += 1
        errors.extend(form_errors(form, prefix="lines.%s." % position))
    errors.extend({"field": "lines", "message": str(message)} for message in formset.non_form_errors())
    return errors


def _save(request: HttpRequest, invoice: Invoice, payload: InvoiceIn) -> Invoice:
    organisation = invoice.organisation
    values = payload.model_dump(exclude_unset=True)
    lines = values.pop("lines", None)
    header = overlay(current_data(DraftForm(instance=invoice, organisation=organisation)), values)
    form = DraftForm(header, instance=invoice, organisation=organisation)
    customer = form.fields["customer"].queryset.filter(pk=header.get("customer") or 0).first()  # type: ignore[attr-defined]
    formset = LineFormSet(
        _posted_lines(invoice, lines, customer), instance=invoice, prefix=LINES_PREFIX, organisation=organisation
    )
    for line_form in formset.forms:
        # A line sent through the API is never an untouched blank row of the editor: validate it.
        line_form.empty_permitted = False
    adjustments = adjustment_formset(None, invoice, organisation)

    header_valid = form.is_valid()
    lines_valid = formset.is_valid()
    if header_valid and lines_valid:
        summary = live_summary(form, formset.forms, organisation, invoice if invoice.pk else None, adjustments)
        if _discount_fits(form, summary):
            saved = form.save(commit=False)
            deleted = {id(line_form) for line_form in formset.deleted_forms}
            kept = [line_form.save(commit=False) for line_form in formset.forms if id(line_form) not in deleted]
            removed = [line_form.instance for line_form in formset.deleted_forms if line_form.instance.pk]
            try:
                return services.save_draft(saved, kept, removed, user=request.user, request=request)
            except InvoicingError as error:
                raise conflict(error.message) from None
    raise validation_problem(form_errors(form) + (_line_errors(formset) if not lines_valid else []))


@router.post("/", auth=write_auth, response={201: InvoiceOut}, summary="Créer un brouillon de facture")
def create_invoice(
    request: HttpRequest,
    payload: InvoiceIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    def create() -> HttpResponse:
        invoice = _save(request, Invoice(organisation=request.organisation), payload)  # type: ignore[attr-defined]
        return json_response(serialise(_get(request, invoice.pk)), 201, location="/api/v1/invoices/%s" % invoice.pk)

    return run_once(request, idempotency_key, create)


def _draft(request: HttpRequest, invoice_id: int) -> Invoice:
    # Without prefetched lines: the services recompute totals from the lines they have just saved.
    invoice = scoped_or_404(request, Invoice.objects.select_related("customer"), invoice_id)
    if not invoice.is_draft:
        raise conflict(IssuedInvoiceError(invoice).message)
    return invoice


@router.patch("/{invoice_id}", auth=write_auth, response=InvoiceOut, summary="Modifier un brouillon de facture")
def update_invoice(
    request: HttpRequest, payload: InvoiceIn, invoice_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    invoice = _draft(request, invoice_id)
    if invoice.is_credit_note:
        raise conflict(
            _(
                "Un brouillon d'avoir se modifie par PATCH /api/v1/credit-notes/%(id)s, avec les lignes et "
                "quantités à créditer."
            )
            % {"id": invoice.pk}
        )
    _save(request, invoice, payload)
    return serialise(_get(request, invoice_id))


# Issuing and sending


@router.post("/{invoice_id}/issue", auth=write_auth, response=InvoiceOut, summary="Émettre un brouillon")
def issue_invoice(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    invoice = _draft(request, invoice_id)
    try:
        services.issue_invoice(invoice, user=request.user, request=request)
    except IssuedInvoiceError as error:
        raise conflict(error.message) from None
    except InvoicingError as error:
        raise conflict(error.message, errors=issue_errors(error)) from None
    return serialise(_get(request, invoice_id))


def issue_errors(error: InvoicingError) -> list[dict[str, Any]]:
    """Return what stops a document from being issued as problem ``errors``, one per item to fix."""
    details = list(error.details) or [error.message]
    return [{"field": None, "message": str(item)} for item in details]


@router.post("/{invoice_id}/send", auth=write_auth, response=EmailOut, summary="Envoyer par e-mail")
def send_invoice(request: HttpRequest, payload: SendIn, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    invoice = _get(request, invoice_id)
    if invoice.is_draft:
        raise conflict(_("Seule une facture émise peut être envoyée : émettez d'abord ce brouillon."))
    data = overlay(current_data(InvoiceEmailForm.for_invoice(invoice)), payload.model_dump(exclude_unset=True))
    form = InvoiceEmailForm(data)
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    cleaned = form.cleaned_data
    try:
        outbound = send_invoice_email(
            invoice,
            cleaned["to"],
            cleaned["subject"],
            cleaned["body"],
            cc=cleaned["cc"],
            bcc=cleaned["bcc"],
            user=request.user,
            request=request,
        )
    except InvoicingError as error:
        raise conflict(error.message) from None
    return {"id": outbound.pk, "status": outbound.status, "to": outbound.to, "error": outbound.error}


# Payments


@router.post(
    "/{invoice_id}/payments",
    auth=write_auth,
    response={201: PaymentOut},
    summary="Enregistrer un paiement reçu (ou un remboursement sur un avoir)",
)
def create_payment(
    request: HttpRequest,
    payload: PaymentIn,
    invoice_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    invoice = _get(request, invoice_id)
    if invoice.is_draft:
        raise conflict(
            _("Un paiement ne peut être enregistré que sur une facture émise : émettez d'abord ce brouillon.")
        )

    def create() -> HttpResponse:
        data = overlay(current_data(PaymentForm(invoice=invoice)), payload.model_dump(exclude_unset=True))
        form = PaymentForm(data, invoice=invoice)
        if not form.is_valid():
            raise validation_problem(form_errors(form))
        try:
            payment = record_payment(invoice, **form.cleaned_data, user=request.user, request=request)
        except PaymentError as error:
            raise validation_problem([{"field": error.field, "message": error.message}], error.message) from None
        return json_response(serialise_payment(payment), 201)

    return run_once(request, idempotency_key, create)


def serialise_payment(payment: Any) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "invoice": payment.invoice_id,
        "receipt": payment.receipt_id,
        "date": payment.date,
        "amount": text(payment.amount),
        "method": payment.method,
        "reference": payment.reference,
    }


# Files


def _files(request: HttpRequest, invoice_id: int) -> tuple[Invoice, IssuedFile]:
    invoice = _get(request, invoice_id)
    files = IssuedFile.objects.filter(invoice=invoice).first()
    if invoice.is_draft or files is None:
        raise conflict(_("Un brouillon n'a pas encore de fichiers : émettez-le d'abord."))
    return invoice, files


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@router.get(
    "/{invoice_id}/facturx",
    summary="Télécharger le PDF Factur-X (PDF avec son XML intégré)",
    openapi_extra=file_response("application/pdf", "Le PDF Factur-X émis, tel qu'il est conservé."),
)
def download_facturx(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    invoice, files = _files(request, invoice_id)
    return _attachment(bytes(files.pdf), "application/pdf", invoice_filename(invoice.number, "pdf", invoice.type_code))


@router.get(
    "/{invoice_id}/pdf",
    summary="Télécharger le PDF sans XML intégré",
    openapi_extra=file_response("application/pdf", "Le PDF émis, sans le XML intégré."),
)
def download_pdf(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    invoice, files = _files(request, invoice_id)
    content = without_attachments(bytes(files.pdf))
    return _attachment(content, "application/pdf", invoice_filename(invoice.number, "sans-xml.pdf", invoice.type_code))


@router.get(
    "/{invoice_id}/cii",
    summary="Télécharger le XML CII (Factur-X)",
    openapi_extra=file_response("application/xml", "Le XML CII émis."),
)
def download_cii(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    invoice, files = _files(request, invoice_id)
    return _attachment(bytes(files.xml), "application/xml", invoice_filename(invoice.number, "xml", invoice.type_code))


@router.get(
    "/{invoice_id}/ubl",
    summary="Télécharger le XML UBL 2.1",
    openapi_extra=file_response("application/xml", "Le XML UBL 2.1, reconstruit depuis la facture émise."),
)
def download_ubl(request: HttpRequest, invoice_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    invoice = _files(request, invoice_id)[0]
    try:
        content = issued_ubl(invoice)
    except InvoicingError as error:
        raise ApiProblem(409, "conflict", _("Export impossible"), error.message) from None
    return _attachment(content, "application/xml", invoice_filename(invoice.number, "ubl.xml", invoice.type_code))
