"""Customers: list with search, detail with their invoices, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ardoise.accounts.models import Organisation
from ardoise.audit.services import form_changes, record
from ardoise.core.formats import format_amount, format_date
from ardoise.core.forms import country_name
from ardoise.core.payment_terms import PaymentTermError
from ardoise.core.payment_terms import describe as describe_term
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.customers.contacts import billing_recipients
from ardoise.customers.forms import (
    CONTACTS_PREFIX,
    CUSTOMER_SECTIONS,
    ContactFormSet,
    CustomerForm,
    CustomerSearchForm,
)
from ardoise.customers.models import Customer
from ardoise.dashboard import panels
from ardoise.invoicing import queries
from ardoise.invoicing.models import Invoice
from ardoise.payments.queries import customer_credits, with_allocated
from ardoise.reports import queries as reports

PAGE_SIZE = 25
# The customer page lists the latest receipts; the receipts page, filtered on the customer, lists them all.
RECEIPTS_SHOWN = 10


@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    search = CustomerSearchForm(request.GET)
    customers = (
        _search(scoped(request, Customer), search).annotate(invoice_count=Count("invoices")).order_by("name", "id")
    )
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"search": search, "page": page, "query_string": _query_without_page(request)}

    # A live search from htmx only needs the table, not the whole page.
    template = "customers/customer_list.html#results" if request.htmx else "customers/customer_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    data = request.POST if request.method == "POST" else None
    customer = Customer(organisation=organisation)
    form = CustomerForm(data, instance=customer)
    contacts = _contact_formset(data, customer)
    if request.method == "POST" and form.is_valid() and _contacts_valid(contacts):
        with transaction.atomic():
            customer = form.save()
            if contacts.is_bound:
                contacts.instance = customer
                contacts.save()
            record(organisation, "customer.created", customer, request=request, data=_contacts_data(customer))
        messages.success(request, _("Le client « %(name)s » a été créé.") % {"name": customer.name})
        return redirect(customer)
    return _render_form(request, form, contacts, customer=None)


@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(data, instance=customer)
    contacts = _contact_formset(data, customer)
    if request.method == "POST" and form.is_valid() and _contacts_valid(contacts):
        if form.has_changed() or (contacts.is_bound and contacts.has_changed()):
            with transaction.atomic():
                form.save()
                if contacts.is_bound:
                    contacts.save()
                changes: dict[str, Any] = {"changes": form_changes(form)}
                if contacts.is_bound and contacts.has_changed():
                    changes.update(_contacts_data(customer))
                record(current_organisation(request), "customer.updated", customer, request=request, data=changes)
            messages.success(
                request, _("Les modifications du client « %(name)s » ont été enregistrées.") % {"name": customer.name}
            )
        else:
            messages.info(request, _("Aucune modification à enregistrer."))
        return redirect(customer)
    # On an invalid submission the instance carries the rejected values: show the stored name.
    stored = get_scoped_or_404(request, Customer, pk=pk)
    return _render_form(request, form, contacts, customer=stored)


@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=pk)
    # Drafts have no issue date yet: they come first, as the work in progress.
    newest_first = F("issue_date").desc(nulls_first=True)
    # The template draft of a recurring plan is not an invoice of the customer: the plan's page shows it.
    own_invoices = Invoice.objects.filter(customer=customer, recurring_template__isnull=True)
    invoices = queries.with_balance(own_invoices).order_by(newest_first, "-id")
    receipts = with_allocated(customer.receipts.select_related("reversal")).order_by("-date", "-id")
    history = reports.payment_history(current_organisation(request), customer.pk)
    context = {
        "customer": customer,
        "invoice_rows": [_invoice_row(invoice) for invoice in invoices],
        "credits": customer_credits(customer),
        "receipts": receipts[:RECEIPTS_SHOWN],
        "receipt_count": receipts.count(),
        "payment_history": panels.payment_history(history) if history.invoices else None,
        "warnings": CustomerForm(instance=customer).warnings(),
        "country": country_name(customer.country_code),
        "delivery": customer.delivery_address(),
        "delivery_country": country_name(customer.delivery_country_code or customer.country_code),
        "payment_term": _customer_term_text(customer, current_organisation(request)),
        "contacts": list(customer.contacts.order_by("id")),
        "recipients": billing_recipients(customer),
    }
    return render(request, "customers/customer_detail.html", context)


@require_http_methods(["GET", "POST"])
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=pk)
    if Invoice.objects.filter(customer=customer).exists():
        # Invoices keep a reference to their customer, and issued ones must be kept for 10 years.
        messages.error(
            request,
            _(
                "Le client « %(name)s » ne peut pas être supprimé : il a des factures, qui doivent être "
                "conservées. Vous pouvez le garder sans lui facturer de nouvelles prestations."
            )
            % {"name": customer.name},
        )
        return redirect(customer)
    if request.method == "POST":
        with transaction.atomic():
            record(current_organisation(request), "customer.deleted", customer, request=request)
            customer.delete()
        messages.success(request, _("Le client « %(name)s » a été supprimé.") % {"name": customer.name})
        return redirect("customers:list")
    return render(request, "customers/customer_confirm_delete.html", {"customer": customer})


def _render_form(request: HttpRequest, form: CustomerForm, contacts: Any, customer: Customer | None) -> HttpResponse:
    sections = [(title, [form[name] for name in names], help_text) for title, names, help_text in CUSTOMER_SECTIONS]
    context = {"form": form, "contacts": contacts, "customer": customer, "sections": sections}
    return render(request, "customers/customer_form.html", context)


@require_GET
def contact_add(request: HttpRequest) -> HttpResponse:
    """Return an empty contact row for the customer form, and the formset's form count increased by one."""
    try:
        index = max(0, int(request.GET.get("%s-TOTAL_FORMS" % CONTACTS_PREFIX, "0")))
    except ValueError:
        index = 0
    if index >= ContactFormSet.max_num:
        return HttpResponseBadRequest(
            _("Un client ne peut pas avoir plus de %(max)s contacts.") % {"max": ContactFormSet.max_num}
        )
    formset = ContactFormSet(instance=Customer(), prefix=CONTACTS_PREFIX)
    contact_form = formset.form(prefix=formset.add_prefix(index))
    # The formset adds the « Supprimer » box and the hidden id, as it does to its own rows.
    formset.add_fields(contact_form, index)
    context = {"contact_form": contact_form, "total_forms": index + 1}
    return render(request, "customers/_contact_added.html", context)


def _contact_formset(data: Any, customer: Customer) -> Any:
    """Bind the posted contact rows. A form posted without them (by a script, say) keeps the stored contacts."""
    if data is not None and "%s-TOTAL_FORMS" % CONTACTS_PREFIX not in data:
        data = None
    return ContactFormSet(data, instance=customer, prefix=CONTACTS_PREFIX)


def _contacts_valid(contacts: Any) -> bool:
    return not contacts.is_bound or contacts.is_valid()


def _contacts_data(customer: Customer) -> dict[str, list[str]]:
    """Return the customer's contacts as the audit log records them, e.g. "Julie <julie@…> (Facturation)"."""
    return {
        "contacts": ["%s (%s)" % (contact, contact.get_role_display()) for contact in customer.contacts.order_by("id")]
    }


def _search(customers: QuerySet[Customer], search: CustomerSearchForm) -> QuerySet[Customer]:
    """Filter by name, SIREN or SIRET, e-mail or city, and by kind."""
    if not search.is_valid():
        return customers
    text = search.cleaned_data["q"].strip()
    if text:
        # NOTE: icontains is accent-sensitive on every database, and SQLite folds the case of
        # ASCII letters only, so « societe » does not find « Société ».
        digits = "".join(text.split())
        customers = customers.filter(
            Q(name__icontains=text)
            | Q(email__icontains=text)
            | Q(city__icontains=text)
            | Q(siren__startswith=digits)
            | Q(siret__startswith=digits)
        )
    if search.cleaned_data["kind"]:
        customers = customers.filter(kind=search.cleaned_data["kind"])
    return customers


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _customer_term_text(customer: Customer, organisation: Organisation) -> tuple[str, bool]:
    """Return the customer's payment rule in words, and whether it is the organisation's default."""
    try:
        own = customer.payment_term()
        if own is not None:
            return describe_term(own), False
        return describe_term(organisation.payment_term()), True
    except PaymentTermError as error:
        return error.message, False


def _invoice_row(invoice: Invoice) -> dict[str, object]:
    return {
        "invoice": invoice,
        "date": format_date(invoice.issue_date) if invoice.issue_date else "",
        # A credit note reads as negative, as in the invoice list.
        "total": format_amount(invoice.signed_total_with_vat, invoice.currency),
        "state": invoice.payment_state(),
    }
