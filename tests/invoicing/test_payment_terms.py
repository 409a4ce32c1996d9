"""Payment terms chosen on the organisation, the customer and the draft, frozen at issue, shown in the XML."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.invoicing.models import Invoice, IssuedFile
from ardoise.invoicing.services import issue_invoice
from tests.accounts.test_organisation_profile import PROFILE_URL, profile_data
from tests.invoicing.test_editor import TWO_LINES, editor_data

pytestmark = pytest.mark.django_db

ISSUE_DAY = datetime.date(2026, 12, 4)


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_customer_end_of_month_rule(draft_invoice):
    customer = draft_invoice.customer
    customer.payment_terms_kind = "days_end_of_month"
    customer.payment_terms_days = 45
    customer.save()

    invoice = issue_invoice(draft_invoice, today=ISSUE_DAY)

    # 4 December + 45 days = 18 January, then end of month.
    assert invoice.due_date == datetime.date(2027, 1, 31)
    assert invoice.payment_terms_kind == "days_end_of_month"
    terms = invoice.document["payment_terms"]
    assert terms == (
        "Paiement à 45 jours fin de mois (45 jours, puis fin de mois), au plus tard le 31/01/2027, "
        "par virement bancaire."
    )
    xml = bytes(IssuedFile.objects.get(invoice=invoice).xml).decode()
    assert "45 jours fin de mois (45 jours, puis fin de mois)" in xml
    assert "20270131" in xml


def test_rule_frozen_on_issued_invoice(draft_invoice):
    invoice = issue_invoice(draft_invoice, today=ISSUE_DAY)
    organisation = invoice.organisation
    organisation.payment_terms_kind = "on_receipt"
    organisation.save()

    invoice.refresh_from_db()

    assert invoice.payment_terms_kind == "net"
    assert invoice.payment_terms_days == 30
    assert invoice.due_date == datetime.date(2027, 1, 3)


def test_installments_split_and_listed(draft_invoice):
    draft_invoice.payment_terms_kind = "installments"
    draft_invoice.payment_installments = "30 % à 0 j ; 70 % à 60 j"
    draft_invoice.save()

    invoice = issue_invoice(draft_invoice, today=ISSUE_DAY)

    amounts = [Decimal(part["amount"]) for part in invoice.payment_schedule]
    assert sum(amounts) == invoice.amount_due
    assert [part["due_date"] for part in invoice.payment_schedule] == ["2026-12-04", "2027-02-02"]
    assert invoice.due_date == datetime.date(2027, 2, 2)
    assert "Paiement en 2 échéances" in invoice.document["payment_terms"]
    xml = bytes(IssuedFile.objects.get(invoice=invoice).xml).decode()
    assert "Paiement en 2 échéances" in xml


def test_fixed_date_on_draft(draft_invoice):
    draft_invoice.payment_terms_kind = "fixed_date"
    draft_invoice.payment_terms_fixed_date = datetime.date(2027, 1, 15)
    draft_invoice.save()

    invoice = issue_invoice(draft_invoice, today=ISSUE_DAY)

    assert invoice.due_date == datetime.date(2027, 1, 15)
    assert invoice.document["payment_terms"] == "Paiement au plus tard le 15/01/2027, par virement bancaire."


def test_issue_refused_beyond_legal_maximum(draft_invoice):
    from ardoise.invoicing.exceptions import InvoicingError

    draft_invoice.payment_terms_kind = "fixed_date"
    draft_invoice.payment_terms_fixed_date = datetime.date(2027, 3, 1)
    draft_invoice.save()

    with pytest.raises(InvoicingError) as error:
        issue_invoice(draft_invoice, today=ISSUE_DAY)

    assert any("01/03/2027" in detail and "02/02/2027" in detail for detail in error.value.details)
    draft_invoice.refresh_from_db()
    assert draft_invoice.is_draft


@pytest.mark.usefixtures("december_2026")
def test_editor_refuses_end_of_month_beyond_limit(owner_client, customer):
    data = editor_data(customer, TWO_LINES, payment_terms_kind="days_end_of_month", payment_terms_days="60")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert response.status_code == 200
    assert "après la limite légale" in text(response)
    assert "L441-10" in text(response)
    assert Invoice.objects.count() == 0


def test_editor_refuses_bad_installments(owner_client, customer):
    data = editor_data(customer, TWO_LINES, payment_terms_kind="installments", payment_installments="30 % à 0 j")

    response = owner_client.post(reverse("invoicing:create"), data)

    assert "au moins deux échéances" in text(response)
    assert Invoice.objects.count() == 0


def test_editor_normalises_installments(owner_client, customer):
    data = editor_data(customer, TWO_LINES, payment_terms_kind="installments", payment_installments="30% 0; 70 % 45")

    owner_client.post(reverse("invoicing:create"), data)

    assert Invoice.objects.get().payment_installments == "30 % à 0 j ; 70 % à 45 j"


def test_organisation_refuses_60_days_end_of_month(owner_client, organisation):
    data = profile_data(organisation, payment_terms_kind="end_of_month_days", payment_terms_days="60")

    response = owner_client.post(PROFILE_URL, data)

    organisation.refresh_from_db()
    assert "60 jours fin de mois (fin de mois, puis 60 jours)" in text(response)
    assert organisation.payment_terms_kind == "net"


def test_organisation_accepts_45_days_end_of_month(owner_client, organisation):
    data = profile_data(organisation, payment_terms_kind="end_of_month_days", payment_terms_days="45")

    owner_client.post(PROFILE_URL, data)

    organisation.refresh_from_db()
    assert organisation.payment_terms_kind == "end_of_month_days"
    assert organisation.payment_terms_days == 45


def test_contractual_rate_below_three_times_legal_rate_refused(owner_client, organisation):
    # Legal interest rate of the first half of 2026, other cases: 2.62 %, so at least 7.86 %.
    response = owner_client.post(PROFILE_URL, profile_data(organisation, late_penalty_rate="5"))

    organisation.refresh_from_db()
    assert organisation.late_penalty_rate is None
    assert "inférieur au minimum légal de 7,86" in text(response)


def test_contractual_rate_accepted_and_frozen_on_invoice(owner_client, organisation, draft_invoice):
    owner_client.post(PROFILE_URL, profile_data(organisation, late_penalty_rate="12,5"))
    organisation.refresh_from_db()

    invoice = issue_invoice(draft_invoice, today=ISSUE_DAY)

    assert organisation.late_penalty_rate == Decimal("12.50")
    assert invoice.late_penalty_rate == Decimal("12.50")


def test_draft_page_names_rule(owner_client, draft_invoice):
    draft_invoice.payment_terms_kind = "end_of_month_days"
    draft_invoice.payment_terms_days = 45
    draft_invoice.save()

    response = owner_client.get(draft_invoice.get_absolute_url())

    assert "45 jours fin de mois (fin de mois, puis 45 jours)" in text(response)
