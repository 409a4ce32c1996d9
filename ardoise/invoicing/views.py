"""Invoice screens: list, draft editor, detail, issuing and file downloads.

Every query goes through ``get_invoice_or_404``, ``scoped`` or the
``InvoiceList`` of the current organisation, so another organisation's
invoice returns 404.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounts.models import Organisation
from ardoise.catalogue.models import Product, ProductKind
from ardoise.core.formats import format_amount
from ardoise.core.money import is_currency_code
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.customers.models import Customer
from ardoise.invoicing import queries, services
from ardoise.invoicing import series as series_services
from ardoise.invoicing.credit_notes import series_for
from ardoise.invoicing.exceptions import InvoicingError, IssuedInvoiceError
from ardoise.invoicing.exports import issued_ubl
from ardoise.invoicing.forms import (
    ADJUSTMENTS_PREFIX,
    LINES_PREFIX,
    USUAL_CURRENCIES,
    AdjustmentForm,
    AdjustmentFormSet,
    BaseAdjustmentFormSet,
    DraftForm,
    LineForm,
    LineFormSet,
    adjustment_formset,
)
from ardoise.invoicing.listing import InvoiceList
from ardoise.invoicing.models import DiscountKind, Invoice, InvoiceLine, InvoiceStatus, IssuedFile, PaymentState
from ardoise.invoicing.presentation import (
    InvoiceSummary,
    draft_summary,
    invoice_filename,
    invoice_summary,
    issued_document,
    payment_qr,
)
from ardoise.invoicing.vat_situations import (
    adjustment_vat_default,
    line_initial,
    line_vat_default,
    situation_notes,
    vat_warnings,
)
from ardoise.invoicing.vat_views import posted_lines

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
LINE_PREFIX_PATTERN = re.compile(r"^%s-(\d{1,3})$" % LINES_PREFIX)


def get_invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    # The template draft of a recurring plan is edited from the plan's page only: issuing it would use it up.
    return get_scoped_or_404(request, Invoice, pk=pk, recurring_template__isnull=True)


# List


@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    state = request.GET.get("etat", "")
    text = request.GET.get("q", "").strip()

    invoices = InvoiceList(organisation, state, text, timezone.localdate())
    # Paginator only counts and slices its list. The stubs also ask for len() and iteration, which
    # would read every invoice.
    paginator: Paginator[Invoice] = Paginator(invoices, PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    has_any_invoice = page.paginator.count > 0
    if not has_any_invoice and (state or text):
        # No invoice matches the filters: tell a new user from a search that found nothing.
        has_any_invoice = (
            Invoice.objects.for_organisation(organisation).filter(recurring_template__isnull=True).exists()
        )
    context = {
        "page": page,
        "state": state,
        "text": text,
        "states": PaymentState.choices,
        "has_any_invoice": has_any_invoice,
        "filter_query": _filter_query(state, text),
    }
    return render(request, "invoicing/list.html", context)


def _filter_query(state: str, text: str) -> str:
    """Return the query string that keeps the filters across pages."""
    return urlencode({key: value for key, value in (("etat", state), ("q", text)) if value})


# Draft editor


@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    invoice = Invoice(organisation=organisation)
    if request.method == "GET":
        customer = _requested_customer(request, organisation)
        if customer is not None:
            invoice.customer = customer
    return _edit_draft(request, invoice)


@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_invoice_or_404(request, pk)
    if not invoice.is_draft:
        return _refuse_issued_change(request, invoice)
    if invoice.is_credit_note:
        # A credit note's lines come from its invoice: only quantities and notes can change.
        return redirect("invoicing:credit_edit", pk=invoice.pk)
    return _edit_draft(request, invoice)


def _requested_customer(request: HttpRequest, organisation: Organisation) -> Customer | None:
    """Return the customer named by ``?client=<id>``, if it belongs to the organisation."""
    customer_id = request.GET.get("client", "")
    if not customer_id.isdigit():
        return None
    return Customer.objects.filter(organisation=organisation, pk=int(customer_id)).first()


def _edit_draft(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    organisation = invoice.organisation
    data = request.POST if request.method == "POST" else None
    form = DraftForm(data, instance=invoice, organisation=organisation)
    formset = LineFormSet(data, instance=invoice, prefix=LINES_PREFIX, organisation=organisation)
    adjustments = adjustment_formset(data, invoice, organisation)
    if data is None and invoice.pk is None:
        formset.extra = 1
        formset.initial_extra = [line_initial(organisation, invoice.customer if invoice.customer_id else None)]
    _watch_customer_vat(form)

    forms_valid = data is not None and form.is_valid() and formset.is_valid() and _rows_valid(adjustments)
    summary = live_summary(form, formset.forms, organisation, invoice if invoice.pk else None, adjustments)
    if forms_valid and _discount_fits(form, summary):
        return _save_and_redirect(request, form, formset, adjustments)

    context = {
        "invoice": invoice,
        "form": form,
        "formset": formset,
        "adjustments": adjustments,
        "summary": summary,
        "line_problems": line_problems(formset.forms) + adjustment_problems(adjustments),
        "has_customers": Customer.objects.filter(organisation=organisation).exists(),
        "has_products": Product.objects.filter(organisation=organisation, is_active=True).exists(),
        "usual_currencies": USUAL_CURRENCIES,
        "vat_notes": situation_notes(organisation, _form_customer(form)),
    }
    return render(request, "invoicing/edit.html", context)


# VAT situation of the chosen customer


def _watch_customer_vat(form: DraftForm) -> None:
    """Make the customer list reload the VAT explanation, and the lines' VAT, when the choice changes."""
    form.fields["customer"].widget.attrs.update(
        {
            "hx-post": reverse("invoicing:vat_situation"),
            "hx-include": "#draft-form",
            "hx-target": "#vat-situation",
            "hx-trigger": "change",
        }
    )


def _form_customer(form: DraftForm) -> Customer | None:
    """Return the customer chosen in the header form, posted or saved, if it is one of the organisation's."""
    raw = form["customer"].value()
    return _chosen_customer(str(raw or ""), form.organisation)


def _chosen_customer(raw: str, organisation: Organisation) -> Customer | None:
    if not raw.isdigit():
        return None
    return Customer.objects.filter(organisation=organisation, pk=int(raw)).first()


def _rows_valid(adjustments: BaseAdjustmentFormSet) -> bool:
    # An unbound formset means the page posted no rows: the stored ones are kept as they are.
    return not adjustments.is_bound or adjustments.is_valid()


def _save_and_redirect(
    request: HttpRequest, form: DraftForm, formset: Any, adjustments: BaseAdjustmentFormSet
) -> HttpResponse:
    invoice = form.instance
    created = invoice.pk is None
    try:
        invoice = _save_forms(request, form, formset, adjustments)
    except IssuedInvoiceError as error:
        messages.error(request, error.message)
        return redirect(invoice)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect("invoicing:list")
    if created:
        messages.success(request, _("Brouillon enregistré. Vérifiez-le, puis émettez la facture."))
    else:
        messages.success(request, _("Brouillon mis à jour."))
    return redirect(invoice)


def _save_forms(request: HttpRequest, form: DraftForm, formset: Any, adjustments: BaseAdjustmentFormSet) -> Invoice:
    invoice, lines, removed = posted_draft(form, formset, adjustments)
    return services.save_draft(invoice, lines, removed, user=request.user, request=request)


def posted_draft(
    form: DraftForm, formset: Any, adjustments: BaseAdjustmentFormSet
) -> tuple[Invoice, list[InvoiceLine], list[InvoiceLine]]:
    """Return the edited draft (unsaved), its lines in order and the saved lines the user deleted."""
    invoice = form.save(commit=False)
    if adjustments.is_bound:
        invoice.document_adjustments = adjustments.adjustments_json()
    deleted = {id(line_form) for line_form in formset.deleted_forms}
    # Saved lines stay even when untouched; new rows left blank are skipped.
    kept = [f for f in formset.forms if id(f) not in deleted and (f.instance.pk or f.has_changed())]
    lines = [line_form.save(commit=False) for line_form in kept]
    removed = [f.instance for f in formset.deleted_forms if f.instance.pk]
    return invoice, lines, removed


def _discount_fits(form: DraftForm, summary: InvoiceSummary | None) -> bool:
    """Reject a document discount larger than the lines it applies to."""
    if summary is None or summary.totals.allowance_total <= summary.totals.line_total:
        return True
    if not form.cleaned_data.get("discount_value"):
        # Only allowance rows exceed the lines: issuing refuses the negative total, naming it.
        return True
    form.add_error(
        "discount_value",
        _("La remise globale (%(discount)s) dépasse le total HT des lignes (%(total)s).")
        % {
            "discount": format_amount(summary.totals.allowance_total),
            "total": format_amount(summary.totals.line_total),
        },
    )
    return False


def live_summary(
    form: DraftForm,
    line_forms: list[LineForm],
    organisation: Organisation,
    draft: Invoice | None = None,
    adjustments: BaseAdjustmentFormSet | None = None,
) -> InvoiceSummary:
    """Compute the totals of the lines and allowance or charge rows typed so far, as issuing will compute them.

    Deleted, blank and invalid lines or rows are left out. Each counted line
    form gets its ``net_amount``, which the editor shows next to the line. When
    a saved ``draft`` is edited, its deposits, rounding, currency and what was
    imported from an e-invoice count too. Its stored allowances and charges
    count only when the page posted no rows.
    """
    typed = [(line_form, _typed_line(line_form, organisation)) for line_form in line_forms]
    kept = [(line_form, line) for line_form, line in typed if line is not None]

    invoice = Invoice(organisation=organisation)
    if draft is not None:
        invoice.currency = draft.currency
        invoice.prepaid_amount = draft.prepaid_amount
        invoice.rounding_amount = draft.rounding_amount
        invoice.vat_exemptions = draft.vat_exemptions
        invoice.document_adjustments = draft.document_adjustments
    if adjustments is not None and adjustments.is_bound:
        invoice.document_adjustments = adjustments.adjustments_json()
    invoice.currency = _typed_currency(form, invoice.currency)
    invoice.prepaid_amount = _typed_amount(form, "prepaid_amount", invoice.prepaid_amount)
    invoice.rounding_amount = _typed_amount(form, "rounding_amount", invoice.rounding_amount)
    invoice.exchange_rate = _typed_exchange_rate(form, draft)
    invoice.discount_kind, invoice.discount_value = _typed_discount(form)
    invoice.discount_reason = (form["discount_reason"].value() or "").strip()[:100]
    summary = draft_summary(invoice, [line for _form, line in kept])
    for (line_form, _line), row in zip(kept, summary.rows, strict=True):
        line_form.net_amount = row.line.net_amount  # type: ignore[attr-defined]
    return summary


def _typed_currency(form: DraftForm, default: str) -> str:
    """Return the currency typed in the editor, or ``default`` while it is not a valid code."""
    typed = str(form["currency"].value() or "").strip().upper()
    return typed if is_currency_code(typed) else default


def _typed_amount(form: DraftForm, name: str, default: Decimal) -> Decimal:
    """Return an amount typed in the editor, or ``default`` while it is invalid or not posted."""
    if form.add_prefix(name) not in form.data:
        return default
    try:
        return form.fields[name].clean(form[name].value()) or Decimal("0")
    except ValidationError:
        return default


def _typed_exchange_rate(form: DraftForm, draft: Invoice | None) -> Decimal | None:
    """Return the exchange rate typed in the editor, or the draft's while the typed one is invalid."""
    try:
        rate = form.fields["exchange_rate"].clean(form["exchange_rate"].value())
    except ValidationError:
        return draft.exchange_rate if draft is not None else None
    return rate if rate is None or rate > 0 else None


def _typed_discount(form: DraftForm) -> tuple[str, Decimal]:
    try:
        kind = form.fields["discount_kind"].clean(form["discount_kind"].value())
        value = form.fields["discount_value"].clean(form["discount_value"].value()) or Decimal("0")
    except ValidationError:
        # An invalid discount is left out of the live totals; saving reports it.
        return DiscountKind.PERCENT, Decimal("0")
    if kind == DiscountKind.PERCENT and value > 100:
        # Saving refuses it too, and counted it would show negative totals.
        return DiscountKind.PERCENT, Decimal("0")
    return kind, value


def _typed_line(line_form: LineForm, organisation: Organisation) -> InvoiceLine | None:
    """Return an unsaved line built from a line form, or None if it is deleted, blank or invalid."""
    if not line_form.is_bound:
        return line_form.instance if line_form.instance.pk else None
    if line_form.is_marked_for_deletion() or not line_form.is_valid():
        return None
    if not line_form.has_changed() and not line_form.instance.pk:
        return None
    line = line_form.save(commit=False)
    services.normalise_line_vat(line, organisation)
    return line


def is_incomplete(line_form: LineForm) -> bool:
    """Tell whether the user started a line that cannot be counted yet."""
    if not line_form.is_bound or line_form.is_marked_for_deletion() or not line_form.has_changed():
        return False
    return not line_form.is_valid()


def line_problems(line_forms: list[LineForm]) -> list[str]:
    """Say, for each started line left out of the totals, which line it is and which value stops it."""
    problems = (_line_problem(line_form, position) for position, line_form in enumerate(line_forms, start=1))
    return [problem for problem in problems if problem]


def _line_problem(line_form: LineForm, position: int) -> str:
    if not is_incomplete(line_form):
        return ""
    line = _line_name(line_form, position)
    # The first field in error is enough: the line's fields are highlighted on save anyway.
    for name in line_form.errors:
        if name in line_form.fields:
            return _field_problem(line_form, name, line)
    errors = " ".join(str(error) for error in line_form.non_field_errors())
    return _("%(line)s : %(error)s") % {"line": line, "error": errors}


def _field_problem(line_form: LineForm, name: str, line: str) -> str:
    label = _lower_first(str(line_form.fields[name].label))
    raw = line_form.data.get(line_form.add_prefix(name), "").strip()
    if not raw:
        return _("%(line)s : %(field)s à renseigner, la ligne n'est pas encore comptée.") % {
            "line": line,
            "field": label,
        }
    return _("%(line)s : %(field)s « %(value)s » invalide, la ligne n'est pas comptée.") % {
        "line": line,
        "field": label,
        "value": raw,
    }


def adjustment_problems(adjustments: BaseAdjustmentFormSet) -> list[str]:
    """List the allowance or charge rows left out of the totals, each named with its first error.

    The field's own message is used because it quotes the typed value (« 12,x »)
    or explains what to type.
    """
    problems = []
    for position, row in enumerate(adjustments.forms, start=1):
        if row.is_started() and not row.is_valid():
            error = next(iter(row.errors.values()))[0]
            problems.append(_("%(row)s : %(error)s") % {"row": _adjustment_name(row, position), "error": error})
    return problems


def _adjustment_name(row: AdjustmentForm, position: int) -> str:
    reason = row.data.get(row.add_prefix("reason"), "").strip()
    if reason:
        return _("Remises et frais, ligne %(position)s (%(reason)s)") % {"position": position, "reason": reason}
    return _("Remises et frais, ligne %(position)s") % {"position": position}


def _line_name(line_form: LineForm, position: int) -> str:
    name = line_form.data.get(line_form.add_prefix("name"), "").strip()
    if name:
        return _("Ligne %(position)s (%(name)s)") % {"position": position, "name": name}
    return _("Ligne %(position)s") % {"position": position}


def _lower_first(label: str) -> str:
    """Put a field label inside a sentence: « Quantité » becomes « quantité », « TVA » stays."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


@require_POST
def draft_totals(request: HttpRequest) -> HttpResponse:
    """Return the editor's live totals, and each line's amount as out-of-band swaps."""
    organisation = current_organisation(request)
    draft = _edited_draft(request)
    form = DraftForm(request.POST, organisation=organisation)
    saved_lines = {line.pk: line for line in draft.lines.all()} if draft is not None else {}
    line_forms = [
        _posted_line_form(request.POST, index, saved_lines, organisation) for index in range(_total_forms(request.POST))
    ]
    adjustments = adjustment_formset(request.POST, draft or Invoice(organisation=organisation), organisation)
    context = {
        "summary": live_summary(form, line_forms, organisation, draft, adjustments),
        "line_forms": line_forms,
        "line_problems": line_problems(line_forms) + adjustment_problems(adjustments),
    }
    return render(request, "invoicing/partials/totals_response.html", context)


def _posted_line_form(
    data: Any, index: int, saved_lines: dict[int, InvoiceLine], organisation: Organisation
) -> LineForm:
    """Bind one posted line to its saved line, if any, as the formset does on save.

    A saved line keeps what the editor does not show (the base quantity, the
    imported allowances and charges, the imported exemption wording), so the
    live totals must start from it, not from a blank line.
    """
    prefix = "%s-%d" % (LINES_PREFIX, index)
    line_id = data.get("%s-id" % prefix, "")
    instance = saved_lines.get(int(line_id)) if line_id.isdigit() else None
    return LineForm(data, prefix=prefix, instance=instance, organisation=organisation)


def _edited_draft(request: HttpRequest) -> Invoice | None:
    """Return the draft named by the editor's hidden ``draft`` field, if it is one of the organisation's drafts."""
    draft_id = request.POST.get("draft", "")
    if not draft_id.isdigit():
        return None
    return scoped(request, Invoice).filter(pk=int(draft_id), status=InvoiceStatus.DRAFT).first()


def _total_forms(data: Any, prefix: str = LINES_PREFIX, max_num: int = LineFormSet.max_num) -> int:
    try:
        count = int(data.get("%s-TOTAL_FORMS" % prefix, "0"))
    except ValueError:
        return 0
    return max(0, min(count, max_num))


@require_GET
def line_add(request: HttpRequest) -> HttpResponse:
    """Return a new empty line for the editor, and the formset's form count increased by one."""
    organisation = current_organisation(request)
    index = _total_forms(request.GET)
    if index >= LineFormSet.max_num:
        return HttpResponseBadRequest(
            _("Une facture ne peut pas dépasser %(max)s lignes.") % {"max": LineFormSet.max_num}
        )
    customer = _chosen_customer(request.GET.get("customer", ""), organisation)
    line_form = LineForm(
        prefix="%s-%d" % (LINES_PREFIX, index),
        initial=line_initial(organisation, customer),
        organisation=organisation,
    )
    context = {"line_form": line_form, "organisation": organisation, "total_forms": index + 1}
    return render(request, "invoicing/partials/line_added.html", context)


@require_http_methods(["GET", "POST"])
def adjustment_add(request: HttpRequest) -> HttpResponse:
    """Return a new empty allowance or charge row, and the row count increased by one.

    The editor posts its whole form, so that the row takes the VAT of the
    lines typed so far, or the customer's default without lines.
    """
    organisation = current_organisation(request)
    data = request.POST if request.method == "POST" else request.GET
    index = _total_forms(data, ADJUSTMENTS_PREFIX, AdjustmentFormSet.max_num)
    if index >= AdjustmentFormSet.max_num:
        return HttpResponseBadRequest(
            _("Une facture ne peut pas compter plus de %(max)s remises et frais sur le total.")
            % {"max": AdjustmentFormSet.max_num}
        )
    customer = _chosen_customer(data.get("customer", ""), organisation)
    line_vats = [(line.vat, line.amount) for line in posted_lines(data)]
    vat = adjustment_vat_default(organisation, customer, line_vats)
    initial = {"vat_rate": str(vat.rate), "exemption": vat.exemption}
    row = AdjustmentForm(prefix="%s-%d" % (ADJUSTMENTS_PREFIX, index), initial=initial, organisation=organisation)
    context = {"adjustment_form": row, "organisation": organisation, "total_forms": index + 1}
    return render(request, "invoicing/partials/adjustment_added.html", context)


@require_GET
def line_fill(request: HttpRequest) -> HttpResponse:
    """Return a line filled from the chosen catalogue product, keeping what the user typed in the row.

    The quantity, discount and line id come back unchanged; the product's name,
    description, unit, price, VAT rate and nature replace the row's values.
    Back to « Saisie libre », a saved line shows its saved values again.
    """
    organisation = current_organisation(request)
    prefix = request.GET.get("prefix", "")
    if not LINE_PREFIX_PATTERN.match(prefix):
        return HttpResponseBadRequest(_("Ligne de facture inconnue."))

    row = {name: request.GET.get("%s-%s" % (prefix, name), "") for name in ("id", "quantity", "discount_percent")}
    initial: dict[str, Any] = {key: value for key, value in row.items() if value}
    initial["DELETE"] = bool(request.GET.get("%s-DELETE" % prefix))
    product_id = request.GET.get("%s-product" % prefix, "")
    product = None
    if product_id.isdigit():
        product = Product.objects.filter(organisation=organisation, pk=int(product_id)).first()
    if product is not None:
        initial.update(_product_values(product))
        initial.update(_situation_vat(request, organisation, product))

    # A catalogue product replaces what a saved line imported. A line typed freely keeps it, so the form shows it.
    instance = None if product is not None else _saved_draft_line(request, row["id"])
    line_form = LineForm(prefix=prefix, initial=initial, instance=instance, organisation=organisation)
    response = render(request, "invoicing/partials/line.html", {"line_form": line_form, "organisation": organisation})
    # Tell the totals box to recompute with the new price and rate.
    response["HX-Trigger-After-Settle"] = "lines-changed"
    return response


def _saved_draft_line(request: HttpRequest, line_id: str) -> InvoiceLine | None:
    if not line_id.isdigit():
        return None
    drafts = scoped(request, Invoice).filter(status=InvoiceStatus.DRAFT)
    return InvoiceLine.objects.filter(invoice__in=drafts, pk=int(line_id)).first()


def _situation_vat(request: HttpRequest, organisation: Organisation, product: Product) -> dict[str, Any]:
    """Return the VAT the customer's situation sets for the product, which wins over its French rate."""
    customer = _chosen_customer(request.GET.get("customer", ""), organisation)
    default = line_vat_default(organisation, customer, is_service=product.kind != ProductKind.GOODS)
    if default.rate is None:
        return {}
    return {"vat_rate": str(default.rate), "exemption": default.exemption}


def _product_values(product: Product) -> dict[str, Any]:
    return {
        "product": product.pk,
        "name": product.name,
        "description": product.description,
        "unit": product.unit,
        "unit_price": product.unit_price,
        "vat_rate": str(product.vat_rate),
        "kind": product.kind or ProductKind.SERVICE,
    }


# Detail and actions


@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_invoice_page(request, get_invoice_or_404(request, pk))


def render_invoice_page(request: HttpRequest, invoice: Invoice, *, status: int = 200, **extra: Any) -> HttpResponse:
    """Render the invoice page; the payment and e-mail views pass their bound forms in ``extra``."""
    from ardoise.mailing.forms import InvoiceEmailForm
    from ardoise.mailing.models import OutboundEmail
    from ardoise.payments.forms import PaymentForm
    from ardoise.payments.queries import invoice_payment_context
    from ardoise.reminders import views as reminders_views

    invoice = queries.with_balance(Invoice.objects.filter(pk=invoice.pk)).select_related("customer").get()
    payments = list(invoice.payments.select_related("created_by", "reversal", "receipt").order_by("date", "id"))
    context: dict[str, Any] = {
        "invoice": invoice,
        "summary": invoice_summary(invoice),
        "state": invoice.payment_state(),
        "balance": invoice.balance(),
        "payments": payments,
        "emails": OutboundEmail.objects.filter(invoice=invoice)
        .prefetch_related("attempts")
        .order_by("-created_at", "-id")[:10],
    }
    context.update(invoice_payment_context(invoice, context["balance"]))
    context.update(_correction_links(invoice))
    context["recurring_occurrence"] = _recurring_occurrence(invoice)
    if invoice.is_draft:
        context["blocking_problems"] = _issue_problems(invoice)
        if not invoice.is_credit_note:
            context["draft_terms"] = _draft_terms(invoice)
    else:
        context["document"] = issued_document(invoice)
        context["payment_qr"] = payment_qr(invoice, context["document"], context["balance"])
        # On a credit note, the form records a refund paid to the customer.
        owed = -context["balance"] if invoice.is_credit_note else context["balance"]
        if owed > 0:
            context["payment_form"] = PaymentForm(invoice=invoice)
        context["email_form"] = InvoiceEmailForm.for_invoice(invoice)
        context["attachment_name"] = invoice_filename(invoice.number, "pdf", invoice.type_code)
        context.update(reminders_views.invoice_context(invoice))
    context.update(extra)
    return render(request, "invoicing/detail.html", context, status=status)


def _draft_terms(invoice: Invoice) -> str:
    """Return the payment rule the draft would be issued with, in words."""
    from ardoise.core.payment_terms import describe

    try:
        return describe(services.resolve_payment_term(invoice))
    except InvoicingError as error:
        return str(error.message)


def _recurring_occurrence(invoice: Invoice) -> Any:
    """Return the recurring plan's occurrence that generated the invoice, if any."""
    from ardoise.recurring.models import RecurringOccurrence

    return RecurringOccurrence.objects.select_related("plan").filter(invoice=invoice).first()


def _correction_links(invoice: Invoice) -> dict[str, Any]:
    """Return the credit notes of an invoice, its replacement drafts or invoices, and whether it can be credited."""
    from ardoise.invoicing.credit_notes import creditable_lines

    if invoice.is_credit_note or invoice.is_draft:
        return {"credit_notes": [], "replacements": [], "can_credit": False}
    credit_notes = queries.with_balance(invoice.credit_notes.select_related("credited_invoice")).order_by("id")
    return {
        "credit_notes": list(credit_notes),
        "replacements": list(invoice.replacements.order_by("id")),
        "can_credit": any(line.remaining for line in creditable_lines(invoice)),
    }


def _issue_problems(invoice: Invoice) -> list[str]:
    try:
        services.check_ready_to_issue(invoice)
    except InvoicingError as error:
        return list(error.details)
    return []


@require_http_methods(["GET", "POST"])
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then issue the draft (POST): issuing cannot be undone."""
    invoice = get_invoice_or_404(request, pk)
    if not invoice.is_draft:
        messages.info(request, _("La facture %(number)s est déjà émise.") % {"number": invoice.number})
        return redirect(invoice)
    if request.method == "GET":
        return _confirm_issue(request, invoice)
    try:
        invoice = services.issue_invoice(invoice, user=request.user, request=request)
    except IssuedInvoiceError as error:
        messages.info(request, error.message)
        return redirect(invoice)
    except InvoicingError as error:
        logger.info("invoice issue rejected organisation=%s invoice=%s", invoice.organisation_id, invoice.pk)
        return render_invoice_page(request, invoice, issue_error=error)
    if invoice.is_credit_note:
        text = _("Avoir %(number)s émis. Son PDF Factur-X et son XML sont conservés tels quels.")
    else:
        text = _("Facture %(number)s émise. Son PDF Factur-X et son XML sont conservés tels quels.")
    messages.success(request, text % {"number": invoice.number})
    return redirect(invoice)


def _confirm_issue(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    issue_date, due_date = services.planned_dates(invoice)
    series = invoice.series or series_for(invoice)
    context = {
        "series": series,
        "planned_number": series_services.next_number(series, issue_date) if series else "",
        "invoice": invoice,
        "summary": draft_summary(invoice),
        "issue_date": issue_date,
        "due_date": due_date,
        "blocking_problems": _issue_problems(invoice),
        "vat_warnings": vat_warnings(invoice, list(invoice.lines.all())),
    }
    return render(request, "invoicing/issue_confirm.html", context)


@require_http_methods(["GET", "POST"])
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_invoice_or_404(request, pk)
    if not invoice.is_draft:
        return _refuse_issued_change(request, invoice)
    if request.method == "GET":
        return render(request, "invoicing/delete.html", {"invoice": invoice})
    try:
        services.delete_draft(invoice, user=request.user, request=request)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect("invoicing:list")
    messages.success(request, _("Le brouillon a été supprimé."))
    return redirect("invoicing:list")


def _refuse_issued_change(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    """Explain, instead of failing, why an issued invoice cannot be edited or deleted."""
    messages.error(request, IssuedInvoiceError(invoice).message)
    return redirect(invoice)


# Files


@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice, files = _issued_files(request, pk)
    return _attachment(bytes(files.pdf), "application/pdf", invoice_filename(invoice.number, "pdf", invoice.type_code))


@require_GET
def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    invoice, files = _issued_files(request, pk)
    return _attachment(bytes(files.xml), "application/xml", invoice_filename(invoice.number, "xml", invoice.type_code))


@require_GET
def invoice_ubl(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve the UBL 2.1 XML, built again from the stored snapshot: the same bytes on every download."""
    invoice, _files = _issued_files(request, pk)
    try:
        xml = issued_ubl(invoice)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect(invoice)
    return _attachment(xml, "application/xml", invoice_filename(invoice.number, "ubl.xml", invoice.type_code))


def _issued_files(request: HttpRequest, pk: int) -> tuple[Invoice, IssuedFile]:
    invoice = get_invoice_or_404(request, pk)
    files = IssuedFile.objects.filter(invoice=invoice).first()
    if invoice.is_draft or files is None:
        raise Http404
    return invoice, files


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Content-Length"] = str(len(content))
    return response


@require_GET
def draft_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Render the PDF a draft would become, marked as a draft and never stored."""
    from ardoise.pdf.render import render_invoice_pdf

    invoice = get_invoice_or_404(request, pk)
    if not invoice.is_draft:
        return redirect("invoicing:pdf", pk=invoice.pk)
    document = services.preview_document(invoice)
    organisation = invoice.organisation
    logo = bytes(organisation.logo) if organisation.logo else None
    pdf = render_invoice_pdf(document, logo=logo, logo_format=organisation.logo_content_type or None)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = _("Brouillon-%(id)s.pdf") % {"id": invoice.pk}
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    return response
