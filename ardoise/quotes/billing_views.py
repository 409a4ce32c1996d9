"""The « Facturer » page of an accepted quote: choose, preview, then create the invoice draft.

The quote is fetched with ``get_scoped_or_404``, so another organisation's
quote returns 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ardoise.core.views import get_scoped_or_404
from ardoise.quotes import billing
from ardoise.quotes.allocation import Amounts, key_label
from ardoise.quotes.billing_forms import QuoteBillingForm
from ardoise.quotes.exceptions import QuoteError
from ardoise.quotes.models import Quote


@require_http_methods(["GET", "POST"])
def quote_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the billing choices; « Aperçu » shows the amounts per VAT rate, « Créer » writes the draft."""
    quote = get_scoped_or_404(request, Quote, pk=pk)
    form = QuoteBillingForm(request.POST or None, quote=quote, reached=billing.reached_percents(quote))
    context: dict[str, Any] = {"quote": quote, "form": form, "billed": billing.billed_invoices(quote)}
    if request.method == "POST" and form.is_valid():
        choice = form.choice()
        try:
            if "create" in request.POST:
                invoice = billing.create_invoice(quote, choice, request=request)
                messages.success(
                    request,
                    _("Brouillon créé : %(choice)s. Vérifiez-le puis émettez-le.")
                    % {"choice": billing.describe_choice(choice, quote.currency)},
                )
                return redirect(invoice.get_absolute_url())
            context["plan"] = billing.plan(quote, choice)
            context["rows"] = preview_rows(context["plan"])
            context["choice_label"] = billing.describe_choice(choice, quote.currency)
        except QuoteError as error:
            context["error"] = error.message
    else:
        try:
            billing.check_billable(quote)
        except QuoteError as error:
            context["error"] = error.message
    return render(request, "quotes/billing/invoice.html", context)


def preview_rows(plan: billing.Plan) -> list[dict[str, Any]]:
    """Return one row per VAT rate: the quote, what was invoiced, this invoice and what will remain."""
    rows = []
    for key, quoted in plan.quote_figures.items():
        invoiced = plan.invoiced.get(key, Amounts())
        step = plan.step.amounts.get(key, Amounts())
        rows.append(
            {
                "label": key_label(key),
                "quoted": quoted,
                "invoiced": invoiced,
                "step": step,
                "left": quoted - invoiced - step,
            }
        )
    return rows
