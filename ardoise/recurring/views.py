"""Screens of recurring plans: list, editor (the invoice editor's sections plus the schedule), page, pause and resume.

Every query is scoped to the user's organisation: another organisation's plan returns 404.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.catalogue.models import Product
from ardoise.core.views import current_organisation, get_scoped_or_404, scoped
from ardoise.customers.contacts import billing_recipients
from ardoise.customers.models import Customer
from ardoise.invoicing.exceptions import InvoicingError
from ardoise.invoicing.forms import LINES_PREFIX, USUAL_CURRENCIES, DraftForm, LineFormSet, adjustment_formset
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.presentation import draft_summary
from ardoise.invoicing.vat_situations import line_initial, situation_notes
from ardoise.invoicing.views import (
    _discount_fits,
    _form_customer,
    _rows_valid,
    _watch_customer_vat,
    adjustment_problems,
    line_problems,
    live_summary,
    posted_draft,
)
from ardoise.recurring import services
from ardoise.recurring.forms import PlanForm
from ardoise.recurring.models import RecurringPlan
from ardoise.recurring.schedule import Rule

PREVIEW_DATES = 6


def get_plan_or_404(request: HttpRequest, pk: int) -> RecurringPlan:
    return get_scoped_or_404(request, RecurringPlan, pk=pk)


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = scoped(request, RecurringPlan).select_related("customer", "template").order_by("-is_active", "name", "id")
    return render(request, "recurring/list.html", {"plans": plans})


@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    plan = RecurringPlan(organisation=organisation, start_date=timezone.localdate())
    return _edit_plan(request, plan, Invoice(organisation=organisation))


@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_or_404(request, pk)
    return _edit_plan(request, plan, plan.template)


def _edit_plan(request: HttpRequest, plan: RecurringPlan, template: Invoice) -> HttpResponse:
    organisation = current_organisation(request)
    data = request.POST if request.method == "POST" else None
    plan_form = PlanForm(data, instance=plan, prefix="plan")
    form = DraftForm(data, instance=template, organisation=organisation)
    formset = LineFormSet(data, instance=template, prefix=LINES_PREFIX, organisation=organisation)
    adjustments = adjustment_formset(data, template, organisation)
    if data is None and template.pk is None:
        formset.extra = 1
        formset.initial_extra = [line_initial(organisation, None)]
    _watch_customer_vat(form)

    forms_valid = (
        data is not None
        and plan_form.is_valid()
        and form.is_valid()
        and formset.is_valid()
        and _rows_valid(adjustments)
    )
    summary = live_summary(form, formset.forms, organisation, template if template.pk else None, adjustments)
    if forms_valid and _discount_fits(form, summary) and _has_lines(formset, plan_form) and _can_send(form, plan_form):
        invoice, lines, removed = posted_draft(form, formset, adjustments)
        created = plan.pk is None
        try:
            plan = services.save_plan(
                plan_form.save(commit=False), invoice, lines, removed, user=request.user, request=request
            )
        except InvoicingError as error:
            messages.error(request, error.message)
            return redirect("recurring:list")
        messages.success(request, _("Abonnement créé.") if created else _("Abonnement mis à jour."))
        return redirect(plan)

    context = {
        "plan": plan,
        "plan_form": plan_form,
        "invoice": template,
        "form": form,
        "formset": formset,
        "adjustments": adjustments,
        "summary": summary,
        "line_problems": line_problems(formset.forms) + adjustment_problems(adjustments),
        "has_customers": Customer.objects.filter(organisation=organisation).exists(),
        "has_products": Product.objects.filter(organisation=organisation, is_active=True).exists(),
        "usual_currencies": USUAL_CURRENCIES,
        "vat_notes": situation_notes(organisation, _form_customer(form)),
        "dates": _preview(plan_form) if data is not None else plan.upcoming(PREVIEW_DATES),
    }
    return render(request, "recurring/edit.html", context)


def _has_lines(formset: Any, plan_form: PlanForm) -> bool:
    deleted = {id(line_form) for line_form in formset.deleted_forms}
    if any(id(f) not in deleted and (f.instance.pk or f.has_changed()) for f in formset.forms):
        return True
    plan_form.add_error(None, _("Ajoutez au moins une ligne : chaque facture de l'abonnement la reprendra."))
    return False


def _can_send(form: DraftForm, plan_form: PlanForm) -> bool:
    customer = form.cleaned_data.get("customer")
    if not plan_form.cleaned_data.get("auto_send") or customer is None or billing_recipients(customer).to:
        return True
    plan_form.add_error(
        "auto_send",
        _(
            "Le client « %(customer)s » n'a pas d'adresse e-mail de facturation : "
            "indiquez-la dans sa fiche ou décochez l'envoi."
        )
        % {"customer": customer.name},
    )
    return False


def _preview(plan_form: PlanForm) -> list[datetime.date]:
    """Return the first dates of the schedule typed in the form, or none while it is invalid."""
    cleaned = getattr(plan_form, "cleaned_data", None) or {}
    try:
        rule = Rule(
            frequency=cleaned["frequency"],
            interval=cleaned["interval"],
            start=cleaned["start_date"],
            end=cleaned.get("end_date"),
            count=cleaned.get("occurrences_limit"),
        )
    except (KeyError, TypeError, ValueError):
        return []
    return [date for _index, date in itertools.islice(rule.occurrences(), PREVIEW_DATES)]


@require_GET
def dates_preview(request: HttpRequest) -> HttpResponse:
    """Return the next dates of the schedule being typed (htmx)."""
    current_organisation(request)
    plan_form = PlanForm(request.GET, prefix="plan")
    plan_form.is_valid()
    return render(request, "recurring/partials/dates.html", {"dates": _preview(plan_form)})


@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_or_404(request, pk)
    context = {
        "plan": plan,
        "summary": draft_summary(plan.template),
        "dates": plan.upcoming(PREVIEW_DATES) if plan.is_active else [],
        "occurrences": services.history(plan),
        "today": timezone.localdate(),
        "revision_text": services.describe_revision(plan),
    }
    return render(request, "recurring/detail.html", context)


@require_POST
def plan_pause(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_or_404(request, pk)
    if services.pause(plan, user=request.user, request=request):
        messages.success(request, _("Abonnement mis en pause : aucune facture ne sera générée jusqu'à sa reprise."))
    return redirect(plan)


@require_POST
def plan_resume(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_or_404(request, pk)
    if services.resume(plan, user=request.user, request=request):
        messages.success(request, _("Abonnement repris : les dates passées pendant la pause ne sont pas facturées."))
    return redirect(plan)
