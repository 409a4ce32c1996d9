"""Reminder pages: the plan (organisation or customer), the rate tables, and the actions on an invoice.

Every member can read the plan and the history. Only owners change the plan
and the rate tables. Any member may remind an invoice now or mark it « en litige »,
as they may send it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.accounts.views import is_owner
from ardoise.audit.services import record
from ardoise.core.views import current_organisation, get_scoped_or_404
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from ardoise.reminders import services
from ardoise.reminders.forms import DisputeForm, EcbRateForm, LegalRateForm, LevelFormSet, PlanForm, level_previews
from ardoise.reminders.models import EcbRate, InvoiceDispute, LegalInterestRate, Reminder, ReminderLevel, ReminderPlan
from ardoise.reminders.penalties import minimum_contractual_rate


def _plan_page(request: HttpRequest, plan: ReminderPlan, customer: Customer | None) -> HttpResponse:
    organisation = current_organisation(request)
    can_edit = is_owner(request.user, organisation)
    status = 200
    if request.method == "POST" and not can_edit:
        messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent modifier le plan de relance."))
        status = 403
    if request.method == "POST" and can_edit:
        form = PlanForm(request.POST, instance=plan)
        formset = LevelFormSet(request.POST, instance=plan)
        if form.is_valid() and formset.is_valid() and request.POST.get("action") == "save":
            with transaction.atomic():
                form.save()
                formset.save()
                record(
                    organisation,
                    "reminders.plan_updated",
                    customer,
                    user=request.user,
                    request=request,
                    data={"levels": [level.short_label() for level in services.levels_of(plan)]},
                )
            messages.success(request, _("Plan de relance enregistré."))
            return redirect(request.path)
    else:
        form = PlanForm(instance=plan)
        formset = LevelFormSet(instance=plan)
    context = {
        "plan": plan,
        "customer": customer,
        "form": form,
        "formset": formset,
        "levels": level_previews(formset),
        "can_edit": can_edit,
        "placeholders": services.REMINDER_PLACEHOLDERS,
    }
    return render(request, "reminders/plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
def organisation_plan(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, services.organisation_plan(current_organisation(request)), None)


@require_http_methods(["GET", "POST"])
def customer_plan(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_scoped_or_404(request, Customer, pk=customer_pk)
    plan = ReminderPlan.objects.filter(customer=customer).first()
    if plan is None:
        return render(request, "reminders/customer_plan_absent.html", {"customer": customer})
    return _plan_page(request, plan, customer)


@require_POST
def customer_plan_toggle(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Give a customer its own plan (a copy of the organisation's), or remove it."""
    organisation = current_organisation(request)
    customer = get_scoped_or_404(request, Customer, pk=customer_pk)
    if not is_owner(request.user, organisation):
        messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent modifier le plan de relance."))
        return redirect("reminders:customer_plan", customer_pk=customer.pk)
    with transaction.atomic():
        existing = ReminderPlan.objects.filter(customer=customer).first()
        if existing is not None:
            existing.delete()
            record(organisation, "reminders.customer_plan_removed", customer, user=request.user, request=request)
            messages.success(request, _("Ce client suit de nouveau le plan de relance de l'entreprise."))
            return redirect(customer.get_absolute_url())
        default = services.organisation_plan(organisation)
        plan = ReminderPlan.objects.create(
            organisation=organisation,
            customer=customer,
            enabled=default.enabled,
            skip_non_working_days=default.skip_non_working_days,
        )
        ReminderLevel.objects.bulk_create(
            [
                ReminderLevel(
                    plan=plan,
                    offset_days=level.offset_days,
                    channel=level.channel,
                    subject=level.subject,
                    body=level.body,
                )
                for level in services.levels_of(default)
            ]
        )
        record(organisation, "reminders.customer_plan_created", customer, user=request.user, request=request)
    return redirect("reminders:customer_plan", customer_pk=customer.pk)


# Rate tables


@require_http_methods(["GET", "POST"])
def rates(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    can_edit = is_owner(request.user, organisation)
    ecb_form, legal_form = EcbRateForm(prefix="ecb"), LegalRateForm(prefix="legal")
    status = 200
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent modifier les taux."))
            status = 403
        elif "ecb-effective_from" in request.POST:
            ecb_form = EcbRateForm(request.POST, prefix="ecb")
            if ecb_form.is_valid():
                return _save_rate(request, ecb_form, "reminders.ecb_rate_added")
            status = 400
        else:
            legal_form = LegalRateForm(request.POST, prefix="legal")
            if legal_form.is_valid():
                return _save_rate(request, legal_form, "reminders.legal_rate_added")
            status = 400
    today = timezone.localdate()
    context = {
        "ecb_rates": EcbRate.objects.all(),
        "legal_rates": LegalInterestRate.objects.all(),
        "ecb_form": ecb_form,
        "legal_form": legal_form,
        "can_edit": can_edit,
        "minimum": minimum_contractual_rate(today),
        "current_rate": _current_legal_penalty_rate(today),
    }
    return render(request, "reminders/rates.html", context, status=status)


def _current_legal_penalty_rate(today: Any) -> Any:
    from ardoise.reminders.penalties import MissingRateError, legal_penalty_rate

    try:
        return legal_penalty_rate(services.ecb_changes(), today)
    except MissingRateError:
        return None


def _save_rate(request: HttpRequest, form: Any, action: str) -> HttpResponse:
    with transaction.atomic():
        row = form.save()
        record(current_organisation(request), action, row, user=request.user, request=request, data={"row": str(row)})
    messages.success(request, _("Taux enregistré."))
    return redirect("reminders:rates")


@require_POST
def rate_delete(request: HttpRequest) -> HttpResponse:
    """Delete one row of a rate table. The tables are shared by the whole install, so no organisation owns a row."""
    organisation = current_organisation(request)
    if not is_owner(request.user, organisation):
        messages.error(request, _("Seuls les propriétaires de l'entreprise peuvent modifier les taux."))
        return redirect("reminders:rates")
    tables: dict[str, QuerySet[Any]] = {"bce": EcbRate.objects.all(), "legal": LegalInterestRate.objects.all()}
    rows = tables.get(request.POST.get("kind", ""))
    pk = request.POST.get("pk", "")
    if rows is None or not pk.isdigit():
        raise Http404
    row = rows.filter(pk=int(pk)).first()
    if row is None:
        raise Http404
    with transaction.atomic():
        record(organisation, "reminders.rate_deleted", None, user=request.user, request=request, data={"row": str(row)})
        row.delete()
    messages.success(request, _("Taux supprimé."))
    return redirect("reminders:rates")


# Actions on an invoice


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """Return what the invoice page shows about reminders: history, litige, penalties to date, next level."""
    if invoice.is_draft or invoice.is_credit_note:
        return {}
    today = timezone.localdate()
    current = services.situation(invoice, today)
    next_level = services.next_manual_level(invoice)
    return {
        "reminders": Reminder.objects.filter(invoice=invoice)
        .select_related("created_by")
        .order_by("-created_at", "-id"),
        "dispute": InvoiceDispute.objects.filter(invoice=invoice).first(),
        "dispute_form": DisputeForm(),
        "reminder_situation": current,
        "reminder_blocker": services.blocker(invoice),
        "next_level": next_level,
        "next_level_is_notice": next_level is not None
        and services.is_formal_notice(next_level, services.levels_of(next_level.plan)),
    }


@require_POST
def remind_now(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, Invoice, pk=invoice_pk)
    level = services.next_manual_level(invoice)
    if level is None:
        messages.error(request, _("Le plan de relance n'a aucun niveau : ajoutez-en un (menu Relances)."))
        return redirect(invoice.get_absolute_url() + "#relances")
    try:
        reminder = services.send_reminder(invoice, level, manual=True, user=request.user, request=request)
    except services.ReminderError as error:
        messages.error(request, error.message)
        return redirect(invoice.get_absolute_url() + "#relances")
    if reminder.status == "failed":
        messages.error(request, _("L'envoi de la relance a échoué : %(error)s") % {"error": reminder.error})
    elif reminder.status == "letter":
        messages.success(request, _("Lettre de relance prête : téléchargez-la dans l'historique des relances."))
    else:
        messages.success(request, _("Relance envoyée à %(to)s.") % {"to": reminder.recipients})
    return redirect(invoice.get_absolute_url() + "#relances")


@require_POST
def dispute(request: HttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = get_scoped_or_404(request, Invoice, pk=invoice_pk)
    if InvoiceDispute.objects.filter(invoice=invoice).exists():
        services.clear_dispute(invoice, user=request.user, request=request)
        messages.success(request, _("Litige levé : les relances reprennent."))
        return redirect(invoice.get_absolute_url() + "#relances")
    form = DisputeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.mark_disputed(invoice, reason, user=request.user, request=request)
    except services.ReminderError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Facture marquée en litige : aucune relance ne partira."))
    return redirect(invoice.get_absolute_url() + "#relances")


@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_scoped_or_404(request, Reminder, pk=pk)
    if not reminder.letter_pdf:
        raise Http404
    response = HttpResponse(bytes(reminder.letter_pdf), content_type="application/pdf")
    name = "Mise-en-demeure" if reminder.is_formal_notice else "Relance"
    response["Content-Disposition"] = 'attachment; filename="%s-%s.pdf"' % (name, reminder.invoice.number)
    return response
