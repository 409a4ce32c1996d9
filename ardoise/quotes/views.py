"""Quote screens: list, draft editor, detail with its actions, PDF download, e-mail and settings.

Every query goes through ``get_scoped_or_404`` or ``scoped``, so another
organisation's quote returns 404.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.catalogue.models import Product
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.customers.models import Customer
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.forms import LINES_PREFIX, BaseAdjustmentFormSet, DraftForm, LineForm, adjustment_formset
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.presentation import InvoiceSummary
from ardoise.invoicing.vat_situations import line_initial
from ardoise.invoicing.views import adjustment_problems, line_problems, live_summary
from ardoise.mailing.forms import InvoiceEmailForm, composed_initial, recipients_initial
from ardoise.mailing.models import DeliveryStatus
from ardoise.quotes import services
from ardoise.quotes.documents import issued_quote_document
from ardoise.quotes.forms import (
    AcceptForm,
    QuoteForm,
    QuoteLineForm,
    QuoteLineFormSet,
    QuoteSettingsForm,
    RefuseForm,
)
from ardoise.quotes.models import Quote, QuoteKind, QuoteLine, QuoteStatus

PAGE_SIZE = 25


def get_quote_or_404(request: HttpRequest, pk: int) -> Quote:
    return get_scoped_or_404(request, Quote, pk=pk)


# List


@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("statut", "")
    kind = request.GET.get("type", "")
    quotes = scoped(request, Quote).select_related("customer")
    if status in QuoteStatus.values:
        quotes = quotes.filter(status=status)
    if kind in QuoteKind.values:
        quotes = quotes.filter(kind=kind)
    page = Paginator(quotes.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "statuses": QuoteStatus.choices,
        "kinds": QuoteKind.choices,
        "filter_query": urlencode({key: value for key, value in (("statut", status), ("type", kind)) if value}),
    }
    return render(request, "quotes/list.html", context)


# Draft editor


@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    kind = QuoteKind.PROFORMA if request.GET.get("type") == QuoteKind.PROFORMA else QuoteKind.QUOTE
    quote = Quote(organisation=organisation, kind=kind)
    if request.method == "GET":
        customer_id = request.GET.get("client", "")
        customer = None
        if customer_id.isdigit():
            customer = Customer.objects.filter(organisation=organisation, pk=int(customer_id)).first()
        quote = services.new_draft(organisation, customer, kind)
    return _edit_draft(request, quote)


@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    if not quote.is_draft:
        messages.error(
            request,
            _("Le devis %(number)s est émis : pour le changer, créez-en une nouvelle version (« Réviser »).")
            % {"number": quote.number},
        )
        return redirect(quote)
    return _edit_draft(request, quote)


def _edit_draft(request: HttpRequest, quote: Quote) -> HttpResponse:
    organisation = current_organisation(request)
    data = request.POST if request.method == "POST" else None
    form = QuoteForm(data, instance=quote, organisation=organisation)
    formset = QuoteLineFormSet(data, instance=quote, prefix=LINES_PREFIX, organisation=organisation)
    # The invoice editor's « Remises et frais sur le total » rows, because a Quote stores the same document_adjustments.
    adjustments = adjustment_formset(data, quote, organisation)  # type: ignore[arg-type]
    if data is None and quote.pk is None:
        formset.extra = 1
        formset.initial_extra = [line_initial(organisation, quote.customer if quote.customer_id else None)]

    rows_valid = not adjustments.is_bound or adjustments.is_valid()
    if data is not None and form.is_valid() and formset.is_valid() and rows_valid:
        return _save_draft(request, quote, form, formset, adjustments)

    line_forms: list[LineForm] = list(formset.forms)
    context = {
        "quote": quote,
        "form": form,
        "formset": formset,
        "adjustments": adjustments,
        "summary": quote_summary(data, quote, line_forms, adjustments, organisation),
        "line_problems": line_problems(line_forms) + adjustment_problems(adjustments),
        "has_customers": Customer.objects.filter(organisation=organisation).exists(),
        "has_products": Product.objects.filter(organisation=organisation, is_active=True).exists(),
    }
    return render(request, "quotes/edit.html", context)


def _save_draft(
    request: HttpRequest, quote: Quote, form: QuoteForm, formset: Any, adjustments: BaseAdjustmentFormSet
) -> HttpResponse:
    created = quote.pk is None
    draft = form.save(commit=False)
    if adjustments.is_bound:
        draft.document_adjustments = adjustments.adjustments_json()
    deleted = {id(line_form) for line_form in formset.deleted_forms}
    kept = [f for f in formset.forms if id(f) not in deleted and (f.instance.pk or f.has_changed())]
    lines = [line_form.save(commit=False) for line_form in kept]
    removed = [f.instance for f in formset.deleted_forms if f.instance.pk]
    try:
        draft = services.save_draft(draft, lines, removed, user=request.user, request=request)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect("quotes:list")
    if created:
        messages.success(request, _("Brouillon enregistré. Vérifiez-le, puis émettez le devis."))
    else:
        messages.success(request, _("Brouillon mis à jour."))
    return redirect(draft)


def quote_summary(
    data: Any,
    quote: Quote,
    line_forms: list[LineForm],
    adjustments: BaseAdjustmentFormSet,
    organisation: Any,
) -> InvoiceSummary:
    """Compute the editor's totals from what is typed, as ``refresh_totals`` will compute them on save.

    The invoice engine reads the header through an invoice form and a
    stand-in invoice: the quote's currency, its stored allowances and
    charges (used while the page posts no rows) and its saved discount
    (shown before anything is posted).
    """
    stand_in = Invoice(
        organisation=organisation,
        currency=quote.currency,
        discount_kind=quote.discount_kind,
        discount_value=quote.discount_value,
        discount_reason=quote.discount_reason,
        document_adjustments=quote.document_adjustments,
    )
    header = DraftForm(data, instance=stand_in, organisation=organisation)
    return live_summary(header, line_forms, organisation, stand_in, adjustments)


@require_POST
def quote_totals(request: HttpRequest) -> HttpResponse:
    """Return the quote editor's live totals, and each line's amount as out-of-band swaps.

    A saved line keeps the price terms the editor does not show (base
    quantity, gross price, extra allowances and charges), so each posted line
    is bound to its saved line, as saving does.
    """
    organisation = current_organisation(request)
    quote = _edited_quote(request) or Quote(organisation=organisation)
    saved_lines = {line.pk: line for line in quote.lines.all()} if quote.pk else {}
    line_forms: list[LineForm] = [
        _posted_line_form(request.POST, index, saved_lines, organisation)
        for index in range(_posted_count(request.POST, QuoteLineFormSet.max_num))
    ]
    adjustments = adjustment_formset(request.POST, quote, organisation)  # type: ignore[arg-type]
    context = {
        "summary": quote_summary(request.POST, quote, line_forms, adjustments, organisation),
        "line_forms": line_forms,
        "line_problems": line_problems(line_forms) + adjustment_problems(adjustments),
    }
    return render(request, "invoicing/partials/totals_response.html", context)


def _edited_quote(request: HttpRequest) -> Quote | None:
    """Return the draft named by the editor's hidden ``draft`` field, if it is one of the organisation's drafts."""
    draft_id = request.POST.get("draft", "")
    if not draft_id.isdigit():
        return None
    return scoped(request, Quote).filter(pk=int(draft_id), status=QuoteStatus.DRAFT).first()


def _posted_line_form(data: Any, index: int, saved_lines: dict[int, QuoteLine], organisation: Any) -> QuoteLineForm:
    prefix = "%s-%d" % (LINES_PREFIX, index)
    line_id = data.get("%s-id" % prefix, "")
    instance = saved_lines.get(int(line_id)) if line_id.isdigit() else None
    return QuoteLineForm(data, prefix=prefix, instance=instance, organisation=organisation)


def _posted_count(data: Any, max_num: int) -> int:
    try:
        count = int(data.get("%s-TOTAL_FORMS" % LINES_PREFIX, "0"))
    except ValueError:
        return 0
    return max(0, min(count, max_num))


# Detail and actions


@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_quote_page(request, get_quote_or_404(request, pk))


def render_quote_page(
    request: HttpRequest, quote: Quote, *, email_form: InvoiceEmailForm | None = None, status: int = 200
) -> HttpResponse:
    document = issued_quote_document(quote) if quote.document else None
    if email_form is None and not quote.is_draft:
        from ardoise.quotes.mailing import compose_quote_email

        initial = recipients_initial(quote.customer) | composed_initial(compose_quote_email(quote, request))
        email_form = InvoiceEmailForm(initial=initial)
    context = {
        "quote": quote,
        "lines": quote.lines.all(),
        "document": document,
        "versions": services.version_chain(quote),
        "accept_form": AcceptForm(initial={"date": timezone.localdate()}),
        "refuse_form": RefuseForm(),
        "email_form": email_form,
        "emails": quote.emails.order_by("-created_at")[:10],
        "linked_documents": linked_documents(quote),
    }
    return render(request, "quotes/detail.html", context, status=status)


def linked_documents(quote: Quote) -> list[dict[str, str]]:
    """Return the documents made from the quote (invoices, credit notes) as {label, number, url}."""
    from ardoise.quotes.billing import linked_documents as billing_documents

    return billing_documents(quote)


def _run(request: HttpRequest, quote: Quote, operation: Any, success: str) -> HttpResponse:
    """Run a service call, report its French error or ``success``, and go back to the quote."""
    try:
        result = operation()
    except InvoicingError as error:
        messages.error(request, error.message)
        for detail in error.details:
            messages.error(request, detail)
        return redirect(quote)
    messages.success(request, success % {"number": getattr(result, "number", "") or quote.number})
    return redirect(result if isinstance(result, Quote) else quote)


@require_POST
def quote_issue(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    return _run(
        request,
        quote,
        lambda: services.issue(quote, user=request.user, request=request),
        _("Devis émis sous le numéro %(number)s."),
    )


@require_POST
def quote_delete(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    try:
        services.delete_draft(quote, user=request.user, request=request)
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect(quote)
    messages.success(request, _("Brouillon supprimé."))
    return redirect("quotes:list")


@require_POST
def quote_mark_sent(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    return _run(
        request,
        quote,
        lambda: services.mark_sent(quote, user=request.user, request=request),
        _("Devis %(number)s marqué comme envoyé."),
    )


@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("La date de signature est invalide : choisissez-la dans le calendrier."))
        return redirect(quote)
    day: datetime.date | None = form.cleaned_data["date"]
    if day is not None and day > timezone.localdate():
        messages.error(request, _("La date de signature ne peut pas être dans le futur."))
        return redirect(quote)
    accepted_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))) if day else None
    return _run(
        request,
        quote,
        lambda: services.accept(
            quote, request.user, name=form.cleaned_data["name"], accepted_at=accepted_at, request=request
        ),
        _("Devis %(number)s accepté."),
    )


@require_POST
def quote_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _run(
        request,
        quote,
        lambda: services.refuse(quote, request.user, reason=reason, request=request),
        _("Devis %(number)s marqué comme refusé."),
    )


@require_POST
def quote_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    return _run(
        request,
        quote,
        lambda: services.duplicate(quote, user=request.user, request=request),
        _("Copie créée en brouillon : modifiez-la, puis émettez-la."),
    )


@require_POST
def quote_revise(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    return _run(
        request,
        quote,
        lambda: services.revise(quote, user=request.user, request=request),
        _("Nouvelle version créée en brouillon : modifiez-la, puis émettez-la."),
    )


@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_or_404(request, pk)
    if quote.is_draft:
        messages.error(request, _("Un brouillon n'a pas encore de PDF : émettez d'abord le devis."))
        return redirect(quote)
    prefix = "Facture-pro-forma" if quote.is_proforma else "Devis"
    response = HttpResponse(quote.issued_pdf(), content_type="application/pdf")
    filename = "%s-%s.pdf" % (prefix, quote.number)
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    return response


@require_POST
def quote_email(request: HttpRequest, pk: int) -> HttpResponse:
    from ardoise.quotes.mailing import send_quote_email

    quote = get_quote_or_404(request, pk)
    if quote.is_draft:
        messages.error(request, _("Seul un devis émis peut être envoyé : émettez d'abord ce brouillon."))
        return redirect(quote)
    form = InvoiceEmailForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("L'e-mail n'a pas été envoyé : corrigez les champs signalés dans « Envoyer par e-mail ».")
        )
        return render_quote_page(request, quote, email_form=form, status=400)
    data = form.cleaned_data
    try:
        outbound = send_quote_email(
            quote,
            data["to"],
            data["subject"],
            data["body"],
            data["cc"],
            bcc=data["bcc"],
            user=request.user,
            request=request,
        )
    except InvoicingError as error:
        messages.error(request, error.message)
        return redirect(quote)
    if outbound.status == DeliveryStatus.FAILED:
        messages.error(
            request,
            _("L'envoi à %(to)s a échoué : %(error)s. Vérifiez l'adresse, puis réessayez.")
            % {"to": outbound.to, "error": outbound.error},
        )
    elif outbound.status == DeliveryStatus.WRITTEN:
        messages.warning(
            request,
            _(
                "Aucun serveur d'envoi n'est configuré : le message pour %(to)s a été écrit dans la boîte "
                "d'envoi locale (menu E-mails) et n'est pas parti. Pour envoyer vraiment, renseignez "
                "ARDOISE_SMTP_HOST (voir la documentation de configuration)."
            )
            % {"to": outbound.to},
        )
    else:
        messages.success(request, _("Devis envoyé à %(to)s.") % {"to": outbound.to})
    return redirect(quote)


# Settings


@require_http_methods(["GET", "POST"])
def quote_settings(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    settings = services.quote_settings(organisation)
    form = QuoteSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        services.save_settings(form.save(commit=False), user=request.user, request=request)
        messages.success(request, _("Réglages des devis enregistrés."))
        return redirect("quotes:settings")
    return render(request, "quotes/settings.html", {"form": form})
