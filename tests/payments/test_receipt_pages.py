"""The « Encaissements » pages: list, detail, recording a receipt split over invoices, cancelling one."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.invoicing.models import PaymentState
from ardoise.payments.models import Payment, Receipt
from ardoise.payments.services import customer_credit, receive_payment, record_payment, refund_credit
from tests.payments.test_receipts import make_invoice

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 12, 10)
NBSP = "\u00a0"
NNBSP = "\u202f"
LIST_URL = reverse("payments:receipts")
CREATE_URL = reverse("payments:receipt_create")


def euros(text: str) -> str:
    """Write an amount as the pages do: « 1 234,56 € » with narrow and plain no-break spaces."""
    return text.replace(" ", NNBSP) + NBSP + "€"


@pytest.fixture(autouse=True)
def frozen_day():
    # 00:30 in Paris is still 9 December in UTC: dates must follow Paris.
    with time_machine.travel(datetime.datetime(2026, 12, 10, 0, 30, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def invoices(customer):
    """Two invoices of 120,00 € TTC, the older one due first, and a later one of 60,00 €."""
    old = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 10, 1))
    recent = make_invoice(customer, "100.00", issued_on=datetime.date(2026, 11, 1))
    small = make_invoice(customer, "50.00", issued_on=datetime.date(2026, 12, 1))
    return old, recent, small


@pytest.fixture
def other_customer(organisation):
    return Customer.objects.create(
        organisation=organisation,
        name="Fromagerie Roux",
        email="compta@fromagerie-roux.fr",
        address_line1="1 rue Neuve",
        postcode="75001",
        city="Paris",
    )


def form_data(customer, amount: str, allocations: dict | None = None, **fields) -> dict[str, str]:
    """The data the receipt form posts once it shows the customer's invoices."""
    data = {
        "customer": str(customer.pk),
        "amount": amount,
        "date": "2026-12-09",
        "method": "virement",
        "reference": "VIR BOULANGERIE MARTIN",
        "bank_fees": "",
        "currency": "EUR",
        "shown_for": "%s:EUR" % customer.pk,
        "action": "save",
    }
    for invoice, share in (allocations or {}).items():
        data["invoice_%s" % invoice.pk] = share
    data.update(fields)
    return data


# The list


def test_navigation_links_to_receipts(owner_client):
    response = owner_client.get(reverse("dashboard:home"))

    assert '<a href="%s" >Encaissements</a>' % LIST_URL in response.text


def test_list_without_receipts_invites_to_record_one(owner_client):
    response = owner_client.get(LIST_URL)

    assert response.status_code == 200
    assert "Aucun encaissement pour l'instant" in response.text
    assert CREATE_URL in response.text


def test_list_shows_each_receipt_and_totals(owner_client, customer, invoices):
    old, _recent, _small = invoices
    receive_payment(
        customer,
        Decimal("150.00"),
        DAY,
        "cheque",
        "Chèque 0042",
        bank_fees=Decimal("1.50"),
        allocations=[(old, Decimal("120.00"))],
    )
    receive_payment(customer, Decimal("20.00"), DAY, "especes", allocations=[])

    response = owner_client.get(LIST_URL)

    text = response.text
    assert "Chèque 0042" in text
    assert "Chèque" in text
    assert "Espèces" in text
    assert euros("150,00") in text
    assert euros("1,50") in text
    assert euros("30,00") in text  # left as credit by the cheque
    assert "2 encaissements et remboursements" in text
    totals = response.context["totals"]
    assert [(t.received, t.allocated, t.unallocated, t.bank_fees, t.refunded) for t in totals] == [
        (Decimal("170.00"), Decimal("120.00"), Decimal("50.00"), Decimal("1.50"), Decimal("0.00"))
    ]


def test_list_marks_reversed_receipts_and_refunds(owner_client, customer, invoices):
    receipt = receive_payment(customer, Decimal("50.00"), DAY, allocations=[])
    owner_client.post(reverse("payments:receipt_cancel", args=[receipt.pk]))
    receive_payment(customer, Decimal("30.00"), DAY, allocations=[])
    refund_credit(customer, Decimal("30.00"), DAY)

    response = owner_client.get(LIST_URL)

    text = response.text
    assert '<span class="badge cancelled">annulé</span>' in text
    assert '<span class="badge cancelled">annulation</span>' in text
    assert "Remboursement</span>" in text
    assert response.context["totals"][0].received == Decimal("30.00")
    assert response.context["totals"][0].refunded == Decimal("30.00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"start": "2026-12-02", "end": "2026-12-05"}, ["VIR-2"]),
        ({"start": "03/12/2026"}, ["VIR-3", "VIR-2"]),
        ({"moyen": "cheque"}, ["CHQ-1"]),
        ({"q": "vir"}, ["VIR-3", "VIR-2"]),
    ],
)
def test_list_filters(owner_client, customer, query, expected):
    receive_payment(customer, Decimal("10.00"), datetime.date(2026, 12, 1), "cheque", "CHQ-1", allocations=[])
    receive_payment(customer, Decimal("20.00"), datetime.date(2026, 12, 4), "virement", "VIR-2", allocations=[])
    receive_payment(customer, Decimal("30.00"), datetime.date(2026, 12, 8), "virement", "VIR-3", allocations=[])

    response = owner_client.get(LIST_URL, query)

    assert [receipt.reference for receipt in response.context["page"]] == expected
    assert "Effacer les filtres" in response.text


def test_list_filters_on_customer(owner_client, customer, other_customer):
    receive_payment(customer, Decimal("10.00"), DAY, reference="MARTIN", allocations=[])
    receive_payment(other_customer, Decimal("20.00"), DAY, reference="ROUX", allocations=[])

    response = owner_client.get(LIST_URL, {"client": other_customer.pk})

    assert [receipt.reference for receipt in response.context["page"]] == ["ROUX"]
    assert response.context["totals"][0].received == Decimal("20.00")


def test_list_refuses_inverted_period(owner_client, customer):
    receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    response = owner_client.get(LIST_URL, {"start": "2026-12-09", "end": "2026-12-01"})

    assert "La date de début (09/12/2026) est postérieure à la date de fin (01/12/2026)" in response.text
    assert response.context["page"] is None


def test_list_refuses_foreign_customer_filter(owner_client, customer, outsider):
    stranger = Customer.objects.create(organisation=outsider.memberships.get().organisation, name="Inconnu SA")
    receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    response = owner_client.get(LIST_URL, {"client": stranger.pk})

    assert "Ce client n&#x27;existe pas : choisissez-en un dans la liste." in response.text
    assert response.context["page"] is None


def test_list_paginates_and_keeps_filters(owner_client, customer):
    for day in range(1, 27):
        receive_payment(customer, Decimal("1.00"), datetime.date(2026, 11, day), "cheque", allocations=[])

    first = owner_client.get(LIST_URL, {"moyen": "cheque"})
    second = owner_client.get(LIST_URL, {"moyen": "cheque", "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert "?moyen=cheque&amp;page=2" in first.text
    assert [receipt.date for receipt in second.context["page"]] == [datetime.date(2026, 11, 1)]
    # Totals cover every page of the selection, not only the one shown.
    assert second.context["totals"][0].received == Decimal("26.00")


def test_list_shows_nothing_of_another_organisation(outsider_client, customer):
    receive_payment(customer, Decimal("10.00"), DAY, reference="SECRET", allocations=[])

    response = outsider_client.get(LIST_URL)

    assert "SECRET" not in response.text
    assert "Aucun encaissement pour l'instant" in response.text


# The detail page


def test_detail_shows_payments_and_amounts(owner_client, owner, customer, invoices):
    old, recent, _small = invoices
    receipt = receive_payment(
        customer,
        Decimal("200.00"),
        DAY,
        "carte",
        "CB 1234",
        bank_fees=Decimal("2.40"),
        allocations=[(old, Decimal("120.00")), (recent, Decimal("50.00"))],
        user=owner,
    )

    response = owner_client.get(receipt.get_absolute_url())

    text = response.text
    assert "Encaissement du 10/12/2026" in text
    assert '<a href="%s#paiements">%s</a>' % (old.get_absolute_url(), old.number) in text
    assert '<a href="%s#paiements">%s</a>' % (recent.get_absolute_url(), recent.number) in text
    assert euros("170,00") in text  # allocated
    assert euros("30,00") in text  # left as credit
    assert euros("197,60") in text  # what reached the bank account
    assert "Carte bancaire" in text
    assert "alice@atelier-dupont.fr" in text
    assert "Annuler l'encaissement" in text
    assert "Encaissement enregistré" in text  # the history


def test_detail_of_another_organisations_receipt_is_404(outsider_client, customer):
    receipt = receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    assert outsider_client.get(reverse("payments:receipt", args=[receipt.pk])).status_code == 404


# Cancelling


def test_cancel_asks_for_confirmation_first(owner_client, customer, invoices):
    old, _recent, _small = invoices
    receipt = receive_payment(customer, Decimal("120.00"), DAY, allocations=[(old, Decimal("120.00"))])

    response = owner_client.get(reverse("payments:receipt_cancel", args=[receipt.pk]))

    assert "Annuler l'encaissement de 120,00" in response.text
    assert "réglés sur la facture %s, qui redevient à payer" % old.number in response.text
    assert not Receipt.objects.filter(reverses=receipt).exists()


def test_cancel_reverses_the_receipt_and_its_payments(owner_client, customer, invoices):
    old, recent, _small = invoices
    receipt = receive_payment(
        customer, Decimal("200.00"), DAY, allocations=[(old, Decimal("120.00")), (recent, Decimal("60.00"))]
    )

    response = owner_client.post(reverse("payments:receipt_cancel", args=[receipt.pk]), follow=True)

    assert "L&#x27;encaissement de 200,00%s€ du 10/12/2026 est annulé" % NBSP in response.text
    assert old.balance() == Decimal("120.00")
    assert recent.balance() == Decimal("120.00")
    assert customer_credit(customer) == Decimal("0.00")
    assert Receipt.objects.get(reverses=receipt).amount == Decimal("-200.00")
    assert "Annulé le 10/12/2026" in response.text


def test_cancel_refused_after_credit_refund(owner_client, customer, invoices):
    old, _recent, _small = invoices
    receipt = receive_payment(customer, Decimal("150.00"), DAY, allocations=[(old, Decimal("120.00"))])
    refund_credit(customer, Decimal("30.00"), DAY)

    response = owner_client.post(reverse("payments:receipt_cancel", args=[receipt.pk]))

    assert response.status_code == 200
    assert "a déjà été remboursé : annulez d&#x27;abord ce remboursement" in response.text
    assert "Rien n'a été annulé." in response.text
    assert not Receipt.objects.filter(reverses=receipt).exists()


def test_cancel_twice_says_it_is_already_cancelled(owner_client, customer):
    receipt = receive_payment(customer, Decimal("10.00"), DAY, allocations=[])
    url = reverse("payments:receipt_cancel", args=[receipt.pk])
    owner_client.post(url)

    again = owner_client.post(url)
    page = owner_client.get(url, follow=True)

    assert "L&#x27;encaissement du 10/12/2026 est déjà annulé." in again.text
    assert "ne peut plus être annulé" in page.text
    assert Receipt.objects.filter(reverses=receipt).count() == 1


def test_cancel_another_organisations_receipt_is_404(outsider_client, customer):
    receipt = receive_payment(customer, Decimal("10.00"), DAY, allocations=[])

    response = outsider_client.post(reverse("payments:receipt_cancel", args=[receipt.pk]))

    assert response.status_code == 404
    assert not Receipt.objects.filter(reverses=receipt).exists()


# Recording: the form


def test_form_proposes_open_invoices_in_full(owner_client, customer, invoices):
    old, recent, small = invoices

    response = owner_client.get(CREATE_URL, {"client": customer.pk})

    form = response.context["form"]
    assert [invoice for invoice, _field in form.rows()] == [old, recent, small]
    assert 'name="amount" value="300,00"' in response.text
    assert 'name="invoice_%s" value="120,00"' % old.pk in response.text
    assert form["date"].value() == DAY
    assert "Gardé en crédit client" in response.text


def test_form_offers_the_five_payment_methods_in_french(owner_client):
    response = owner_client.get(CREATE_URL)

    for label in ("Virement", "Chèque", "Carte bancaire", "Espèces", "Prélèvement"):
        assert ">%s</option>" % label in response.text


def test_form_lists_only_the_organisations_customers(owner_client, customer, outsider):
    Customer.objects.create(organisation=outsider.memberships.get().organisation, name="Inconnu SA")

    response = owner_client.get(CREATE_URL)

    assert "Boulangerie Martin SAS" in response.text
    assert "Inconnu SA" not in response.text


def test_form_for_another_organisations_customer_is_404(owner_client, outsider):
    stranger = Customer.objects.create(organisation=outsider.memberships.get().organisation, name="Inconnu SA")

    assert owner_client.get(CREATE_URL, {"client": stranger.pk}).status_code == 404
    assert owner_client.post(CREATE_URL, form_data(stranger, "10")).status_code == 404
    assert not Receipt.objects.exists()


def test_distribute_fills_oldest_due_first(owner_client, customer, invoices):
    old, recent, small = invoices
    data = form_data(customer, "150", {old: "", recent: "", small: ""}, action="distribute")

    response = owner_client.post(CREATE_URL, data)

    form = response.context["form"]
    assert [form["invoice_%s" % invoice.pk].value() for invoice in invoices] == ["120,00", "30,00", "0,00"]
    assert form.summary() == {
        "amount": Decimal("150.00"),
        "allocated": Decimal("150.00"),
        "credit": Decimal("0.00"),
    }
    assert not Receipt.objects.exists()


def test_save_shows_invoices_first(owner_client, customer, invoices):
    data = form_data(customer, "400", shown_for="")

    response = owner_client.post(CREATE_URL, data)

    assert not Receipt.objects.exists()
    assert "Vérifiez la répartition proposée pour ce client, puis enregistrez." in response.text
    assert response.context["form"].summary()["credit"] == Decimal("100.00")
    assert 'name="shown_for" value="%s:EUR"' % customer.pk in response.text


def test_changing_customer_replaces_invoices(owner_client, customer, other_customer, invoices):
    other_invoice = make_invoice(other_customer, "10.00")
    data = form_data(other_customer, "12", {invoice: "10" for invoice in invoices})
    data["shown_for"] = "%s:EUR" % customer.pk

    response = owner_client.post(CREATE_URL, data)

    assert not Receipt.objects.exists()
    assert [invoice for invoice, _field in response.context["form"].rows()] == [other_invoice]


def test_split_receipt_keeps_rest_as_credit(owner_client, owner, customer, invoices):
    old, recent, small = invoices
    data = form_data(customer, "1 000,00", {old: "120", recent: "45,50", small: "0"}, bank_fees="0,80")

    response = owner_client.post(CREATE_URL, data, follow=True)

    receipt = Receipt.objects.get()
    assert response.redirect_chain[-1][0] == receipt.get_absolute_url()
    assert receipt.amount == Decimal("1000.00")
    assert receipt.bank_fees == Decimal("0.80")
    assert receipt.created_by == owner
    assert sorted(receipt.payments.values_list("invoice__number", "amount")) == [
        (old.number, Decimal("120.00")),
        (recent.number, Decimal("45.50")),
    ]
    assert old.payment_state() == PaymentState.PAID
    assert recent.balance() == Decimal("74.50")
    assert small.balance() == Decimal("60.00")
    assert customer_credit(customer) == Decimal("834.50")
    assert "834,50%s€ gardés en crédit pour le client" % NBSP in response.text


def test_zero_allocations_become_credit(owner_client, customer, invoices):
    data = form_data(customer, "50", {invoice: "0" for invoice in invoices})

    owner_client.post(CREATE_URL, data)

    assert Receipt.objects.get().unallocated() == Decimal("50.00")
    assert not Payment.objects.exists()
    assert customer_credit(customer) == Decimal("50.00")


def test_member_records_a_receipt_too(member_client, customer, invoices):
    old, _recent, _small = invoices

    member_client.post(CREATE_URL, form_data(customer, "120", {old: "120"}))

    assert old.balance() == Decimal("0.00")


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"amount": "12,5O"}, "amount", "« 12,5O » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."),
        ({"amount": "0"}, "amount", "Le montant doit être supérieur à 0,00%s€ (vous avez saisi « 0 »)." % NBSP),
        ({"amount": ""}, "amount", "Ce champ est obligatoire."),
        (
            {"bank_fees": "-1"},
            "bank_fees",
            "Les frais bancaires ne peuvent pas être négatifs (vous avez saisi « -1 »).",
        ),
        (
            {"bank_fees": "200"},
            "bank_fees",
            "Les frais bancaires (200,00%s€) doivent être positifs et inférieurs au montant reçu (200,00%s€)."
            % (NBSP, NBSP),
        ),
        (
            {"date": "2026-12-11"},
            "date",
            "La date du paiement (11/12/2026) est dans le futur : enregistrez le paiement une fois reçu.",
        ),
        (
            {"date": "31/02/2026"},
            "date",
            "La date « 31/02/2026 » n'existe pas dans le calendrier : vérifiez le jour et le mois.",
        ),
    ],
)
def test_bad_input_refused_on_its_field(owner_client, customer, invoices, typed, field, message):
    old, _recent, _small = invoices
    data = form_data(customer, "200", {old: "120"})
    data.update(typed)

    response = owner_client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Receipt.objects.exists()
    # The typed values are kept, so nothing has to be typed again.
    assert 'value="VIR BOULANGERIE MARTIN"' in response.text


def test_allocation_beyond_balance_refused(owner_client, customer, invoices):
    old, recent, _small = invoices

    response = owner_client.post(CREATE_URL, form_data(customer, "500", {old: "120,01", recent: "10"}))

    form = response.context["form"]
    assert form.errors["invoice_%s" % old.pk] == [
        "Il ne reste que 120,00%s€ à payer sur la facture %s." % (NBSP, old.number)
    ]
    assert "invoice_%s" % recent.pk not in form.errors
    assert not Receipt.objects.exists()


def test_allocations_beyond_amount_refused(owner_client, customer, invoices):
    old, recent, _small = invoices

    response = owner_client.post(CREATE_URL, form_data(customer, "150", {old: "120", recent: "40"}))

    assert response.context["form"].non_field_errors() == [
        "Les montants affectés aux factures (160,00%s€) dépassent le montant reçu (150,00%s€) : "
        "réduisez-les ou corrigez le montant reçu." % (NBSP, NBSP)
    ]
    assert "Dépassement" in response.text
    assert not Receipt.objects.exists()


def test_allocation_typed_badly_is_refused_on_its_row(owner_client, customer, invoices):
    old, _recent, _small = invoices

    response = owner_client.post(CREATE_URL, form_data(customer, "150", {old: "1O"}))

    assert response.context["form"].errors["invoice_%s" % old.pk] == [
        "« 1O » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."
    ]
    assert not Receipt.objects.exists()


def test_invoice_paid_meanwhile_refused(owner_client, customer, invoices):
    old, _recent, _small = invoices
    data = form_data(customer, "120", {old: "120"})
    record_payment(old, Decimal("120.00"), DAY)

    response = owner_client.post(CREATE_URL, data)

    assert response.context["form"].errors["invoice_%s" % old.pk] == [
        "La facture %s est déjà entièrement payée : mettez 0." % old.number
    ]
    assert Receipt.objects.count() == 1


def test_another_customers_invoice_is_refused(owner_client, customer, other_customer, invoices):
    foreign = make_invoice(other_customer, "10.00")

    response = owner_client.post(CREATE_URL, form_data(customer, "12", {foreign: "12"}))

    assert response.context["form"].non_field_errors() == [
        "La facture %s n'est pas une facture du client Boulangerie Martin SAS." % foreign.number
    ]
    assert not Receipt.objects.exists()


def test_another_organisations_invoice_is_404(owner_client, customer, outsider):
    stranger = Customer.objects.create(
        organisation=outsider.memberships.get().organisation,
        name="Inconnu SA",
        email="compta@inconnu.fr",
        address_line1="2 rue Basse",
        postcode="13001",
        city="Marseille",
    )
    foreign = make_invoice(stranger, "10.00")

    response = owner_client.post(CREATE_URL, form_data(customer, "12", {foreign: "12"}))

    assert response.status_code == 404
    assert not Receipt.objects.exists()


def test_live_refill_returns_only_the_invoices(owner_client, customer, invoices):
    data = form_data(customer, "130", {invoice: "" for invoice in invoices}, action="distribute")

    response = owner_client.post(CREATE_URL, data, headers={"HX-Request": "true"})

    assert response.text.lstrip().startswith('<section class="card" id="allocations"')
    assert 'value="120,00"' in response.text
    assert 'value="10,00"' in response.text
    assert "<html" not in response.text


def test_live_summary_says_what_stays_as_credit(owner_client, customer, invoices):
    old, _recent, _small = invoices
    data = form_data(customer, "130", {old: "100"}, action="preview")

    response = owner_client.post(CREATE_URL, data, headers={"HX-Request": "true"})

    assert response.text.lstrip().startswith('<div id="receipt-summary"')
    assert "<strong>%s</strong>" % euros("30,00") in response.text
    assert not Receipt.objects.exists()


def test_preview_keeps_typed_allocations(owner_client, customer, invoices):
    old, recent, _small = invoices
    data = form_data(customer, "130", {old: "100", recent: "0"}, action="preview")

    response = owner_client.post(CREATE_URL, data)

    assert response.context["form"]["invoice_%s" % old.pk].value() == "100"
    assert response.context["form"].summary()["credit"] == Decimal("30.00")
    assert not Receipt.objects.exists()


def test_other_currency_shows_its_own_invoices(owner_client, customer, invoices):
    dollars = make_invoice(customer, "100.00", currency="USD")

    page = owner_client.get(CREATE_URL, {"client": customer.pk, "currency": "USD"})
    owner_client.post(
        CREATE_URL, form_data(customer, "150", {dollars: "120"}, currency="USD", shown_for="%s:USD" % customer.pk)
    )

    assert [invoice for invoice, _field in page.context["form"].rows()] == [dollars]
    assert '<option value="USD" selected>USD</option>' in page.text
    assert dollars.balance() == Decimal("0.00")
    assert customer_credit(customer, "USD") == Decimal("30.00")
    assert customer_credit(customer, "EUR") == Decimal("0.00")


def test_form_without_open_invoices(owner_client, customer):
    response = owner_client.get(CREATE_URL, {"client": customer.pk})

    assert "n'a aucune facture à payer dans cette devise" in response.text


def test_journal_links_receipts_and_payments(owner_client, owner, customer, invoices):
    old, _recent, _small = invoices
    receipt = receive_payment(customer, Decimal("130.00"), DAY, allocations=[(old, Decimal("120.00"))], user=owner)
    payment = receipt.payments.get()

    response = owner_client.get(reverse("audit:journal"))

    assert '<a href="%s">%s</a>' % (receipt.get_absolute_url(), receipt) in response.text
    assert '<a href="%s#paiements">%s</a>' % (old.get_absolute_url(), payment) in response.text
    assert "Crédit client : 10,00%s€" % NBSP in response.text
