"""Form validation of payment terms, shared by the organisation, customer and invoice forms."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from ardoise.core import payment_terms
from ardoise.core.payment_terms import PaymentTermError, TermKind

# The field that gets the error when a rule of this kind cannot be built or is too long.
_ERROR_FIELDS = {
    TermKind.INSTALLMENTS: "payment_installments",
    TermKind.FIXED_DATE: "payment_terms_fixed_date",
    TermKind.NET: "payment_terms_days",
    TermKind.DAYS_END_OF_MONTH: "payment_terms_days",
    TermKind.END_OF_MONTH_DAYS: "payment_terms_days",
}

_TERM_FIELDS = ("payment_terms_kind", "payment_terms_days", "payment_terms_fixed_date", "payment_installments")


def clean_payment_term(form: forms.BaseForm, *, issue_date: datetime.date | None = None) -> None:
    """Check the rule typed in ``form`` against the legal maximum, and normalise its installments.

    A default rule (no ``issue_date``) must be lawful for every issue date; an
    invoice's rule is checked for the date it would be issued on. A form left on
    « use the default » (no kind) has nothing to check here.
    """
    data: dict[str, Any] = form.cleaned_data
    kind = data.get("payment_terms_kind")
    if not kind or any(name in form.errors for name in _TERM_FIELDS):
        # A field of the rule is already invalid and has its own message.
        return
    try:
        term = payment_terms.term_from_fields(
            kind,
            data.get("payment_terms_days"),
            data.get("payment_terms_fixed_date"),
            data.get("payment_installments") or "",
        )
        if issue_date is None:
            payment_terms.check_any_issue_date(term)
        else:
            payment_terms.check_legal_maximum(term, issue_date)
    except PaymentTermError as error:
        field = _ERROR_FIELDS.get(TermKind(kind), "payment_terms_kind")
        form.add_error(field if field in form.fields else None, error.message)
        return
    if term.kind == TermKind.INSTALLMENTS:
        data["payment_installments"] = payment_terms.format_installments(term.installments)
