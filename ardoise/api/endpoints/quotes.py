"""Quotes and pro forma invoices: list, read, create and update drafts, issue, send, accept, refuse, revise, copy.

Drafts are validated by the forms of the quote editor, and every operation
calls the service that the quote page calls (``ardoise.quotes.services``), so
that the API enforces the same rules and writes the same audit entries.
Invoicing an accepted quote is in ``quote_invoices``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema

from ardoise.api.auth import write_auth
from ardoise.api.endpoints.common import json_response, reject_nul, scoped_or_404, text
from ardoise.api.endpoints.invoices import (
    EmailOut,
    LineIn,
    LineOut,
    SendIn,
    _attachment,
    _line_errors,
    _posted_lines,
    issue_errors,
)
from ardoise.api.formdata import current_data, overlay
from ardoise.api.idempotency import run_once
from ardoise.api.problems import conflict, form_errors, validation_problem
from ardoise.api.schema import MAX_ID, PageQuery, file_response, paginate
from ardoise.core.money import Totals, VatKey
from ardoise.customers.models import Customer
from ardoise.invoicing.documents import draft_totals
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.forms import LINES_PREFIX
from ardoise.mailing.forms import InvoiceEmailForm, composed_initial, recipients_initial
from ardoise.quotes import billing, services
from ardoise.quotes.allocation import Amounts, remaining
from ardoise.quotes.documents import issued_quote_document
from ardoise.quotes.exceptions import IssuedQuoteError
from ardoise.quotes.forms import AcceptForm, QuoteForm, QuoteLineFormSet, RefuseForm
from ardoise.quotes.models import Quote, QuoteKind, QuoteStatus

router = Router(tags=["Devis"])

MAX_LINES = 500
RATE_PLACES = Decimal("0.01")
# Statuses in which the quote's invoices and what remains to invoice are worth returning.
BILLED_STATUSES = (QuoteStatus.ACCEPTED, QuoteStatus.PARTIALLY_INVOICED, QuoteStatus.INVOICED)


class QuoteIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    """The draft's header and lines.

    On an update, a field left out keeps its value, and ``lines`` replaces all lines.
    """

    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Id du client.")
    kind: Literal["quote", "proforma"] | None = Field(
        None,
        description="quote : devis (par défaut) ; proforma : facture pro forma. Fixé à la création du brouillon.",
    )
    series: int | None = Field(
        None, ge=1, le=MAX_ID, description="Id de la séquence, quand il y en a plusieurs pour ce type de document."
    )
    validity_date: datetime.date | None = Field(
        None, description="Vide : la date d'émission plus la durée de validité des réglages des devis."
    )
    conditions: str | None = Field(
        None, description="Conditions imprimées ; à la création, celles des réglages des devis par défaut."
    )
    notes: str | None = None
    discount_kind: Literal["percent", "amount"] | None = None
    discount_value: Decimal | None = None
    discount_reason: str | None = None
    deposit_percent: Decimal | None = Field(
        None, description="Acompte demandé à l'acceptation, en pourcentage du total TTC (0,01 à 100)."
    )
    auto_deposit_on_acceptance: bool | None = Field(
        None, description="Émettre et envoyer la facture d'acompte dès l'acceptation du devis sur le portail client."
    )
    lines: list[LineIn] | None = Field(None, max_length=MAX_LINES)


class VatRowOut(Schema):
    category: str = Field(description="Catégorie de TVA (BT-118) : S, Z, E, AE, K, G, O.")
    rate: str
    base: str = Field(description="Base HT (BT-116).")
    vat: str = Field(description="Montant de TVA (BT-117).")


class QuoteOut(Schema):
    id: int
    kind: Literal["quote", "proforma"] = Field(description="quote : devis ; proforma : facture pro forma.")
    status: Literal[tuple(QuoteStatus.values)] = Field(  # type: ignore[valid-type]
        description=(
            "draft, issued (émis, pas encore envoyé), sent, accepted, refused, expired, partially_invoiced, invoiced."
        )
    )
    number: str
    version: int
    previous_version: int | None = Field(description="Id de la version que celle-ci remplace.")
    next_version: int | None = Field(description="Id de la version suivante, créée par « revise ».")
    duplicated_from: int | None = Field(description="Id du devis dont celui-ci est une copie.")
    customer: int
    customer_name: str
    series: int | None
    currency: str
    issue_date: datetime.date | None
    validity_date: datetime.date | None
    conditions: str
    notes: str
    discount_kind: str
    discount_value: str
    discount_reason: str
    deposit_percent: str | None
    auto_deposit_on_acceptance: bool
    total_without_vat: str
    total_vat: str
    total_with_vat: str
    vat_breakdown: list[VatRowOut] = Field(description="Totaux par taux de TVA, après remises.")
    created_at: datetime.datetime
    issued_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    accepted_by_name: str
    refused_at: datetime.datetime | None
    refusal_reason: str
    expired_at: datetime.datetime | None
    lines: list[LineOut]


class VersionOut(Schema):
    id: int
    number: str
    version: int
    status: str


class LinkedInvoiceOut(Schema):
    id: int
    billing_kind: Literal["full", "deposit", "progress", "final"] = Field(
        description="full : facture totale ; deposit : acompte ; progress : situation ; final : solde."
    )
    number: str
    status: Literal["draft", "issued"]
    type_code: str
    total_with_vat: str
    credit_notes: list[int] = Field(description="Ids des avoirs de cette facture, brouillons compris.")


class QuoteDetailOut(QuoteOut):
    versions: list[VersionOut] = Field(description="Toutes les versions du devis, de la première à la dernière.")
    invoices: list[LinkedInvoiceOut] = Field(description="Les factures établies depuis le devis, brouillons compris.")
    invoiced: list[VatRowOut] | None = Field(
        description="Ce que les factures émises du devis facturent par taux, avoirs déduits ; null avant l'acceptation."
    )
    remaining_to_invoice: list[VatRowOut] | None = Field(
        description="Ce qui reste à facturer par taux ; null avant l'acceptation."
    )


class QuotePage(Schema):
    count: int
    page: int
    per_page: int
    items: list[QuoteOut]


class QuoteFilters(PageQuery):
    status: Literal[tuple(QuoteStatus.values)] | None = None  # type: ignore[valid-type]
    kind: Literal["quote", "proforma"] | None = None
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=100, description="Numéro ou nom du client.")
    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None
    valid_from: datetime.date | None = Field(None, description="Valables au moins jusqu'à ce jour.")
    valid_to: datetime.date | None = Field(None, description="Valables au plus tard jusqu'à ce jour.")


class AcceptIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    name: str | None = Field(None, description="Nom de la personne qui a signé « Bon pour accord ».")
    date: datetime.date | None = Field(None, description="Date de la signature ; aujourd'hui par défaut.")


class RefuseIn(Schema, extra="forbid"):  # type: ignore[call-arg]
    reason: str | None = Field(None, description="Motif du refus, 300 caractères au plus.")


# Serialising


def vat_rows(figures: dict[VatKey, Amounts]) -> list[dict[str, Any]]:
    """Return VAT breakdown rows; the rate has two decimals, as on lines, whether it comes from lines or a snapshot."""
    return [
        {
            "category": key.category,
            "rate": text(key.rate.quantize(RATE_PLACES)),
            "base": text(amounts.base),
            "vat": text(amounts.vat),
        }
        for key, amounts in figures.items()
    ]


def _totals(quote: Quote) -> Totals:
    """Return the issued quote's totals as its snapshot states them, or the draft's live totals."""
    if quote.document is not None:
        return issued_quote_document(quote).body.totals()
    return draft_totals(quote)  # type: ignore[arg-type]


def _serialise_line(line: Any) -> dict[str, Any]:
    return {
        "id": line.pk,
        "product": line.product_id,
        "credited_line": None,
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


def serialise(quote: Quote) -> dict[str, Any]:
    next_version = next(iter(quote.revisions.all()), None)
    breakdown = {row.key: Amounts(row.taxable_amount, row.tax_amount) for row in _totals(quote).breakdown}
    return {
        "id": quote.pk,
        "kind": quote.kind,
        "status": quote.status,
        "number": quote.number,
        "version": quote.version,
        "previous_version": quote.previous_version_id,
        "next_version": next_version.pk if next_version is not None else None,
        "duplicated_from": quote.duplicated_from_id,
        "customer": quote.customer_id,
        "customer_name": quote.customer.name,
        "series": quote.series_id,
        "currency": quote.currency,
        "issue_date": quote.issue_date,
        "validity_date": quote.validity_date,
        "conditions": quote.conditions,
        "notes": quote.notes,
        "discount_kind": quote.discount_kind,
        "discount_value": text(quote.discount_value),
        "discount_reason": quote.discount_reason,
        "deposit_percent": text(quote.deposit_percent),
        "auto_deposit_on_acceptance": quote.auto_deposit_on_acceptance,
        "total_without_vat": text(quote.total_without_vat),
        "total_vat": text(quote.total_vat),
        "total_with_vat": text(quote.total_with_vat),
        "vat_breakdown": vat_rows(breakdown),
        "created_at": quote.created_at,
        "issued_at": quote.issued_at,
        "sent_at": quote.sent_at,
        "accepted_at": quote.accepted_at,
        "accepted_by_name": quote.accepted_by_name,
        "refused_at": quote.refused_at,
        "refusal_reason": quote.refusal_reason,
        "expired_at": quote.expired_at,
        "lines": [_serialise_line(line) for line in quote.lines.all()],
    }


def serialise_detail(quote: Quote) -> dict[str, Any]:
    """Return the quote with its versions, its invoices and, once accepted, what remains to invoice."""
    data = serialise(quote)
    data["versions"] = [
        {"id": version.pk, "number": version.number, "version": version.version, "status": version.status}
        for version in services.version_chain(quote)
    ]
    links = quote.invoice_links.select_related("invoice").order_by("created_at", "id")
    data["invoices"] = [
        {
            "id": link.invoice.pk,
            "billing_kind": link.kind,
            "number": link.invoice.number,
            "status": link.invoice.status,
            "type_code": link.invoice.type_code,
            "total_with_vat": text(link.invoice.total_with_vat),
            "credit_notes": list(link.invoice.credit_notes.order_by("id").values_list("pk", flat=True)),
        }
        for link in links
    ]
    data["invoiced"] = data["remaining_to_invoice"] = None
    if quote.status in BILLED_STATUSES and not quote.is_proforma:
        invoiced = billing.invoiced_figures(quote)
        data["invoiced"] = vat_rows(invoiced)
        data["remaining_to_invoice"] = vat_rows(billing.nonzero(remaining(billing.quote_figures(quote), invoiced)))
    return data


def _quotes(request: HttpRequest) -> Any:
    return (
        Quote.objects.filter(organisation=request.organisation)  # type: ignore[attr-defined]
        .select_related("customer", "organisation")
        .prefetch_related("lines", "revisions")
    )


def get_quote(request: HttpRequest, quote_id: int) -> Quote:
    """Return the token's organisation's quote ``quote_id``, or raise a 404 problem."""
    return scoped_or_404(request, _quotes(request), quote_id)


def _detail(request: HttpRequest, quote_id: int) -> dict[str, Any]:
    return serialise_detail(get_quote(request, quote_id))


# Reading


@router.get("/", response=QuotePage, summary="Lister les devis et les factures pro forma")
def list_quotes(request: HttpRequest, filters: Query[QuoteFilters]) -> dict[str, Any]:
    reject_nul(q=filters.q)
    quotes = _quotes(request)
    if filters.status:
        quotes = quotes.filter(status=filters.status)
    if filters.kind:
        quotes = quotes.filter(kind=filters.kind)
    if filters.customer:
        quotes = quotes.filter(customer_id=filters.customer)
    if filters.q and filters.q.strip():
        search = filters.q.strip()
        customers = Customer.objects.filter(organisation=request.organisation, name__icontains=search)  # type: ignore[attr-defined]
        quotes = quotes.filter(Q(number__icontains=search) | Q(customer_id__in=customers.values("pk")))
    if filters.issued_from:
        quotes = quotes.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        quotes = quotes.filter(issue_date__lte=filters.issued_to)
    if filters.valid_from:
        quotes = quotes.filter(validity_date__gte=filters.valid_from)
    if filters.valid_to:
        quotes = quotes.filter(validity_date__lte=filters.valid_to)
    return paginate(quotes.order_by("-created_at", "-id"), filters, serialise)


@router.get("/{quote_id}", response=QuoteDetailOut, summary="Lire un devis ou une facture pro forma")
def get_quote_detail(request: HttpRequest, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    return _detail(request, quote_id)


# Drafts


def _check_fixed_fields(quote: Quote, form: QuoteForm, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the errors of the fields the editor does not offer: the kind of a saved draft, a single series."""
    errors = []
    kind = values.get("kind")
    if quote.pk and kind is not None and kind != quote.kind:
        errors.append(
            {
                "field": "kind",
                "message": _(
                    "Le type d'un brouillon enregistré ne change pas (ici « %(kind)s ») : "
                    "créez un nouveau brouillon du type voulu."
                )
                % {"kind": quote.title()},
            }
        )
    series = values.get("series")
    # With fewer than two series of the kind, the editor hides the field and issuing takes the only one.
    hidden = series is not None and "series" not in form.fields
    if hidden and not services.series_choices(quote.organisation, kind or quote.kind).filter(pk=series).exists():
        errors.append(
            {
                "field": "series",
                "message": _(
                    "La séquence d'id %(id)s ne numérote pas ce type de document : laissez ce champ vide "
                    "pour la séquence par défaut."
                )
                % {"id": series},
            }
        )
    return errors


def _save(request: HttpRequest, quote: Quote, payload: QuoteIn) -> Quote:
    organisation = quote.organisation
    values = payload.model_dump(exclude_unset=True)
    lines = values.pop("lines", None)
    header = overlay(current_data(QuoteForm(instance=quote, organisation=organisation)), values)
    form = QuoteForm(header, instance=quote, organisation=organisation)
    customer = form.fields["customer"].queryset.filter(pk=header.get("customer") or 0).first()  # type: ignore[attr-defined]
    formset = QuoteLineFormSet(
        _posted_lines(quote, lines, customer, QuoteLineFormSet),
        instance=quote,
        prefix=LINES_PREFIX,
        organisation=organisation,
    )
    for line_form in formset.forms:
        # A line sent through the API is never an untouched blank row of the editor: validate it.
        line_form.empty_permitted = False

    fixed_errors = _check_fixed_fields(quote, form, values)
    header_valid = form.is_valid()
    lines_valid = formset.is_valid()
    if header_valid and lines_valid and not fixed_errors:
        draft = form.save(commit=False)
        deleted = {id(line_form) for line_form in formset.deleted_forms}
        kept = [line_form.save(commit=False) for line_form in formset.forms if id(line_form) not in deleted]
        removed = [line_form.instance for line_form in formset.deleted_forms if line_form.instance.pk]
        try:
            return services.save_draft(draft, kept, removed, user=request.user, request=request)
        except InvoicingError as error:
            raise conflict(error.message) from None
    line_errors = _line_errors(formset) if not lines_valid else []
    raise validation_problem(fixed_errors + form_errors(form) + line_errors)


@router.post(
    "/", auth=write_auth, response={201: QuoteDetailOut}, summary="Créer un brouillon de devis ou de facture pro forma"
)
def create_quote(
    request: HttpRequest,
    payload: QuoteIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    def create() -> HttpResponse:
        kind = payload.kind or QuoteKind.QUOTE
        draft = services.new_draft(request.organisation, None, kind)  # type: ignore[attr-defined]
        quote = _save(request, draft, payload)
        return json_response(_detail(request, quote.pk), 201, location="/api/v1/quotes/%s" % quote.pk)

    return run_once(request, idempotency_key, create)


def _draft(request: HttpRequest, quote_id: int) -> Quote:
    # Without prefetched lines: the services recompute totals from the lines they have just saved.
    quote = scoped_or_404(request, Quote.objects.select_related("customer", "organisation"), quote_id)
    if not quote.is_draft:
        raise conflict(IssuedQuoteError(quote).message)
    return quote


@router.patch("/{quote_id}", auth=write_auth, response=QuoteDetailOut, summary="Modifier un brouillon de devis")
def update_quote(request: HttpRequest, payload: QuoteIn, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    _save(request, _draft(request, quote_id), payload)
    return _detail(request, quote_id)


# Issuing and sending


@router.post("/{quote_id}/issue", auth=write_auth, response=QuoteDetailOut, summary="Émettre un brouillon de devis")
def issue_quote(request: HttpRequest, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    quote = _draft(request, quote_id)
    try:
        services.issue(quote, user=request.user, request=request)
    except IssuedQuoteError as error:
        raise conflict(error.message) from None
    except InvoicingError as error:
        raise conflict(error.message, errors=issue_errors(error)) from None
    return _detail(request, quote_id)


@router.post(
    "/{quote_id}/send",
    auth=write_auth,
    response=EmailOut,
    summary="Envoyer un devis émis par e-mail, avec son PDF",
)
def send_quote(request: HttpRequest, payload: SendIn, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    from ardoise.quotes.mailing import compose_quote_email, send_quote_email

    quote = get_quote(request, quote_id)
    if quote.is_draft:
        raise conflict(_("Seul un devis émis peut être envoyé : émettez d'abord ce brouillon."))
    initial = recipients_initial(quote.customer) | composed_initial(compose_quote_email(quote, request))
    data = overlay(current_data(InvoiceEmailForm(initial=initial)), payload.model_dump(exclude_unset=True))
    form = InvoiceEmailForm(data)
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    cleaned = form.cleaned_data
    try:
        outbound = send_quote_email(
            quote,
            cleaned["to"],
            cleaned["subject"],
            cleaned["body"],
            cleaned["cc"],
            bcc=cleaned["bcc"],
            user=request.user,
            request=request,
        )
    except InvoicingError as error:
        raise conflict(error.message) from None
    return {"id": outbound.pk, "status": outbound.status, "to": outbound.to, "error": outbound.error}


@router.post(
    "/{quote_id}/mark-sent",
    auth=write_auth,
    response=QuoteDetailOut,
    summary="Marquer comme envoyé un devis remis au client par un autre moyen",
)
def mark_quote_sent(request: HttpRequest, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    quote = get_quote(request, quote_id)
    try:
        services.mark_sent(quote, user=request.user, request=request)
    except InvoicingError as error:
        raise conflict(error.message) from None
    return _detail(request, quote_id)


# The customer's decision


@router.post(
    "/{quote_id}/accept", auth=write_auth, response=QuoteDetailOut, summary="Enregistrer l'acceptation du devis"
)
def accept_quote(request: HttpRequest, payload: AcceptIn, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    quote = get_quote(request, quote_id)
    form = AcceptForm(overlay({}, payload.model_dump(exclude_unset=True)))
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    day: datetime.date | None = form.cleaned_data["date"]
    if day is not None and day > timezone.localdate():
        message = _("La date de signature ne peut pas être dans le futur.")
        raise validation_problem([{"field": "date", "message": message}])
    # A signature date without a time counts at noon in Paris, as on the quote page.
    accepted_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))) if day else None
    try:
        services.accept(quote, request.user, name=form.cleaned_data["name"], accepted_at=accepted_at, request=request)
    except InvoicingError as error:
        raise conflict(error.message) from None
    return _detail(request, quote_id)


@router.post("/{quote_id}/refuse", auth=write_auth, response=QuoteDetailOut, summary="Enregistrer le refus du devis")
def refuse_quote(request: HttpRequest, payload: RefuseIn, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    quote = get_quote(request, quote_id)
    form = RefuseForm(overlay({}, payload.model_dump(exclude_unset=True)))
    if not form.is_valid():
        raise validation_problem(form_errors(form))
    try:
        services.refuse(quote, request.user, reason=form.cleaned_data["reason"], request=request)
    except InvoicingError as error:
        raise conflict(error.message) from None
    return _detail(request, quote_id)


# New drafts from a quote


@router.post(
    "/{quote_id}/revise",
    auth=write_auth,
    response={201: QuoteDetailOut},
    summary="Réviser : créer la version suivante d'un devis émis, en brouillon",
)
def revise_quote(
    request: HttpRequest,
    quote_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    quote = get_quote(request, quote_id)

    def create() -> HttpResponse:
        try:
            revision = services.revise(quote, user=request.user, request=request)
        except InvoicingError as error:
            raise conflict(error.message) from None
        return json_response(_detail(request, revision.pk), 201, location="/api/v1/quotes/%s" % revision.pk)

    return run_once(request, idempotency_key, create)


@router.post(
    "/{quote_id}/duplicate",
    auth=write_auth,
    response={201: QuoteDetailOut},
    summary="Dupliquer : copier un devis dans un nouveau brouillon indépendant",
)
def duplicate_quote(
    request: HttpRequest,
    quote_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> HttpResponse:
    quote = get_quote(request, quote_id)

    def create() -> HttpResponse:
        try:
            copy = services.duplicate(quote, user=request.user, request=request)
        except InvoicingError as error:
            raise conflict(error.message) from None
        return json_response(_detail(request, copy.pk), 201, location="/api/v1/quotes/%s" % copy.pk)

    return run_once(request, idempotency_key, create)


# Files


@router.get(
    "/{quote_id}/pdf",
    summary="Télécharger le PDF du devis émis",
    openapi_extra=file_response("application/pdf", "Le PDF émis, tel qu'il est conservé."),
)
def download_quote_pdf(request: HttpRequest, quote_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    quote = get_quote(request, quote_id)
    if quote.is_draft:
        raise conflict(_("Un brouillon n'a pas encore de PDF : émettez d'abord le devis."))
    prefix = "Facture-pro-forma" if quote.is_proforma else "Devis"
    return _attachment(quote.issued_pdf(), "application/pdf", "%s-%s.pdf" % (prefix, quote.number))
