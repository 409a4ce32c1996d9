"""The invoice list's rows, order and exact count, for every state and search, against the model's own states."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.paginator import Paginator
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.invoicing.credit_notes import create_credit_note
from ardoise.invoicing.listing import ORDER, InvoiceList
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, PaymentState
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.payments.services import record_payment
from ardoise.reports import monthly
from tests.recurring.conftest import make_plan

TODAY = datetime.date(2026, 12, 4)
NOON_IN_PARIS = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
STATES = ["", *PaymentState.values]
SEARCHES = ["", "martin", "DURAND", "F-2026", "0003", "A-", "introuvable"]


@dataclass
class Book:
    """An organisation's invoices in every state, its drafts and its recurring template."""

    organisation: object
    invoices: dict[str, Invoice]
    template: Invoice


def draft(organisation, customer, price: str = "100.00") -> Invoice:
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=invoice, name="Prestation", quantity=Decimal("1"), unit_price=Decimal(price))
    refresh_totals(invoice)
    return invoice


def issued(organisation, customer, day: datetime.date) -> Invoice:
    """Issue a 100 € + 20 % VAT invoice on ``day``, due 30 days later."""
    return issue_invoice(draft(organisation, customer), today=day)


def pay(invoice: Invoice, amount: str, day: datetime.date) -> None:
    record_payment(invoice, Decimal(amount), day)


@pytest.fixture
def book(organisation, customer, other_organisation) -> Book:
    address = {"address_line1": "8 quai Saint-Antoine", "postcode": "69002", "city": "Lyon"}
    durand = Customer.objects.create(
        organisation=organisation, name="Cabinet Durand", email="factures@durand.example", **address
    )
    outsider_martin = Customer.objects.create(
        organisation=other_organisation, name="Boulangerie Martin du concurrent", email="martin@example.fr", **address
    )
    with time_machine.travel(NOON_IN_PARIS, tick=False):
        # Issued in date order, as numbering requires.
        late_partly = issued(organisation, customer, datetime.date(2026, 9, 15))
        pay(late_partly, "50.00", datetime.date(2026, 9, 20))
        late = issued(organisation, customer, datetime.date(2026, 10, 1))
        paid = issued(organisation, durand, datetime.date(2026, 11, 2))
        pay(paid, "120.00", datetime.date(2026, 11, 5))
        cancelled = issued(organisation, customer, datetime.date(2026, 11, 10))
        refunded = issued(organisation, durand, datetime.date(2026, 11, 12))
        pay(refunded, "120.00", datetime.date(2026, 11, 13))
        partly = issued(organisation, customer, datetime.date(2026, 12, 1))
        pay(partly, "20.00", datetime.date(2026, 12, 2))
        cancelling_note = issue_invoice(create_credit_note(cancelled), today=datetime.date(2026, 12, 2))
        refund_note = issue_invoice(create_credit_note(refunded), today=datetime.date(2026, 12, 2))
        fresh = issued(organisation, durand, TODAY)
        outsider_issued = issued(other_organisation, outsider_martin, datetime.date(2026, 11, 3))
    invoices = {
        "late_partly": late_partly,
        "late": late,
        "paid": paid,
        "cancelled": cancelled,
        "refunded": refunded,
        "partly": partly,
        "cancelling_note": cancelling_note,
        "refund_note": refund_note,
        "fresh": fresh,
        "draft": draft(organisation, customer),
        "durand_draft": draft(organisation, durand, "40.00"),
        "outsider_issued": outsider_issued,
        "outsider_draft": draft(other_organisation, outsider_martin),
    }
    template = make_plan(organisation, customer).template
    return Book(organisation=organisation, invoices=invoices, template=template)


def expected(organisation, state: str, text: str) -> list[int]:
    """Return the invoices the list should show, in order, from each invoice's own ``payment_state``."""
    invoices = Invoice.objects.filter(organisation=organisation, recurring_template__isnull=True)
    matching = [
        invoice.pk
        for invoice in invoices.select_related("customer")
        if (not state or invoice.payment_state(TODAY) == state)
        and (
            not text
            or text.casefold() in invoice.number.casefold()
            or text.casefold() in invoice.customer.name.casefold()
        )
    ]
    return list(Invoice.objects.filter(pk__in=matching).order_by(*ORDER).values_list("pk", flat=True))


def listed(organisation, state: str, text: str, per_page: int = 3) -> tuple[int, list[int]]:
    """Return the list's count and the invoices of all its pages, read a page at a time."""
    paginator = Paginator(InvoiceList(organisation, state, text, TODAY), per_page)
    listed_pks = [invoice.pk for number in paginator.page_range for invoice in paginator.page(number)]
    return paginator.count, listed_pks


def test_book_has_every_state(book):
    states = {invoice.payment_state(TODAY) for invoice in book.invoices.values()}

    assert states == set(PaymentState.values)


@pytest.mark.parametrize("state", STATES)
def test_list_shows_each_state_and_search(book, state):
    for text in SEARCHES:
        expected_pks = expected(book.organisation, state, text)

        count, listed_pks = listed(book.organisation, state, text)

        assert listed_pks == expected_pks, (state, text)
        assert count == len(expected_pks), (state, text)


def test_whole_list_leaves_out_template_and_outsiders(book):
    count, listed_pks = listed(book.organisation, "", "")

    assert count == 11
    assert book.template.pk not in listed_pks
    assert book.invoices["outsider_issued"].pk not in listed_pks
    assert book.invoices["outsider_draft"].pk not in listed_pks
    assert book.invoices["cancelling_note"].pk in listed_pks
    assert book.invoices["durand_draft"].pk in listed_pks


def test_counts_leave_out_issued_template(book):
    with time_machine.travel(NOON_IN_PARIS, tick=False):
        template = issue_invoice(book.template, today=TODAY)
    assert template.payment_state(TODAY) == PaymentState.ISSUED

    for state in ("", PaymentState.ISSUED):
        count, listed_pks = listed(book.organisation, state, "")

        assert template.pk not in listed_pks, state
        assert listed_pks == expected(book.organisation, state, ""), state
        assert count == len(listed_pks), state


def test_issued_documents_counts_one_organisation(book):
    issued_here = Invoice.objects.filter(organisation=book.organisation, status=InvoiceStatus.ISSUED).count()

    assert monthly.issued_documents(book.organisation) == issued_here == 9


def test_issued_documents_of_new_organisation_is_zero(organisation):
    assert monthly.issued_documents(organisation) == 0


def test_page_beyond_last_shows_last_page(owner_client, book):
    response = owner_client.get(reverse("invoicing:list"), {"page": "99"})

    assert "Brouillon n° %d" % book.invoices["draft"].pk in response.text


def test_list_page_queries_do_not_grow_with_rows(owner_client, book, django_assert_max_num_queries):
    with time_machine.travel(NOON_IN_PARIS, tick=False), django_assert_max_num_queries(8):
        response = owner_client.get(reverse("invoicing:list"))

    # The header row and one row per invoice.
    assert response.text.count("<tr>") == 12


def test_filtered_list_of_new_organisation_guides_new_user(owner_client):
    response = owner_client.get(reverse("invoicing:list"), {"etat": "overdue", "q": "martin"})

    assert "Créer ma première facture" in response.text


def test_filtered_list_without_match_offers_all_invoices(owner_client, book):
    with time_machine.travel(NOON_IN_PARIS, tick=False):
        response = owner_client.get(reverse("invoicing:list"), {"etat": "overdue", "q": "introuvable"})

    assert "Aucune facture ne correspond" in response.text
    assert "Créer ma première facture" not in response.text
