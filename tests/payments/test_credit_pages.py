"""Customer credit in the web UI: on the customer page, refunded, applied from the invoice page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.invoicing.models import PaymentState
from ardoise.payments.models import Payment, Receipt, ReceiptKind
from ardoise.payments.services import apply_credit, customer_credit, receive_payment, record_payment
from tests.payments.test_receipts import make_invoice

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 12, 10)
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(datetime.datetime(2026, 12, 10, 23, 30, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def hundred(customer):
    """An invoice of 100,00 € TTC."""
    return make_invoice(customer, "83.33")


def refund_url(customer, currency: str = "EUR") -> str:
    return reverse("payments:credit_refund", args=[customer.pk]) + "?devise=" + currency


# The whole story of the issue, through the web pages only


def test_overpayment_refunded_through_pages(owner_client, customer, hundred):
    record_url = reverse("payments:record", args=[hundred.pk])
    payment = {"date": "2026-12-10", "method": "virement", "reference": "", "bank_fees": ""}

    owner_client.post(record_url, {**payment, "amount": "60,00"})
    second = owner_client.post(record_url, {**payment, "amount": "50,00"}, follow=True)

    assert "10,00%s€ gardés en crédit pour le client" % NBSP in second.text
    invoice_page = owner_client.get(hundred.get_absolute_url())
    assert invoice_page.context["state"] == PaymentState.PAID
    assert invoice_page.context["balance"] == Decimal("0.00")
    customer_page = owner_client.get(customer.get_absolute_url())
    assert "<strong>10,00%s€</strong>" % NBSP in customer_page.text
    assert refund_url(customer).replace("&", "&amp;") in customer_page.text

    refund = owner_client.post(
        refund_url(customer),
        {"amount": "10", "date": "2026-12-10", "method": "virement", "reference": "Trop-perçu", "devise": "EUR"},
        follow=True,
    )

    assert "Remboursement de 10,00%s€ enregistré" % NBSP in refund.text
    assert "Crédit restant de Boulangerie Martin SAS : 0,00%s€." % NBSP in refund.text
    assert customer_credit(customer) == Decimal("0.00")
    assert hundred.balance() == Decimal("0.00")
    assert refund.context["credits"] == {}
    assert "Rembourser</a>" not in refund.text


# The customer page


def test_customer_page_without_credit_shows_no_credit(owner_client, customer, hundred):
    record_payment(hundred, Decimal("100.00"), DAY)

    response = owner_client.get(customer.get_absolute_url())

    assert "Crédit client" not in response.text
    assert "Aucun encaissement pour ce client." not in response.text
    assert reverse("payments:receipt_create") + "?client=%s" % customer.pk in response.text


def test_customer_page_lists_receipts_and_credit_per_currency(owner_client, customer):
    receive_payment(customer, Decimal("20.00"), DAY, reference="VIR EUR", allocations=[])
    receive_payment(customer, Decimal("15.00"), DAY, reference="VIR USD", currency="USD", allocations=[])

    response = owner_client.get(customer.get_absolute_url())

    assert response.context["credits"] == {"EUR": Decimal("20.00"), "USD": Decimal("15.00")}
    assert "Crédit client en USD :" in response.text
    assert "VIR EUR" in response.text
    assert "VIR USD" in response.text


def test_customer_page_links_older_receipts(owner_client, customer):
    for day in range(1, 12):
        receive_payment(customer, Decimal("1.00"), datetime.date(2026, 11, day), allocations=[])

    response = owner_client.get(customer.get_absolute_url())

    assert len(response.context["receipts"]) == 10
    assert "Voir les 11 encaissements" in response.text
    assert "?client=%s" % customer.pk in response.text


# Refunding credit


def test_refund_form_proposes_the_whole_credit(owner_client, customer, hundred):
    record_payment(hundred, Decimal("130.00"), DAY)

    response = owner_client.get(refund_url(customer))

    assert 'name="amount" value="30,00"' in response.text
    assert "Crédit client : 30,00%s€." % NBSP in response.text


def test_refund_beyond_the_credit_is_refused(owner_client, customer, hundred):
    record_payment(hundred, Decimal("130.00"), DAY)

    response = owner_client.post(
        refund_url(customer), {"amount": "30,01", "date": "2026-12-10", "method": "cheque", "devise": "EUR"}
    )

    assert response.context["form"].errors["amount"] == [
        "Le client n'a que 30,00%s€ de crédit : remboursez au plus ce montant (vous avez saisi « 30,01 »)." % NBSP
    ]
    assert not Receipt.objects.filter(kind=ReceiptKind.REFUND).exists()


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"amount": "12,5O"}, "amount", "« 12,5O » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."),
        ({"amount": "-3"}, "amount", "Le montant doit être supérieur à 0,00%s€ (vous avez saisi « -3 »)." % NBSP),
        (
            {"date": "2026-12-11"},
            "date",
            "La date du paiement (11/12/2026) est dans le futur : enregistrez le paiement une fois reçu.",
        ),
    ],
)
def test_bad_refund_input_is_refused(owner_client, customer, hundred, typed, field, message):
    record_payment(hundred, Decimal("130.00"), DAY)
    data = {"amount": "10", "date": "2026-12-10", "method": "virement", "devise": "EUR", **typed}

    response = owner_client.post(refund_url(customer), data)

    assert response.context["form"].errors[field] == [message]
    assert customer_credit(customer) == Decimal("30.00")


def test_refund_without_credit_goes_back_to_the_customer(owner_client, customer):
    response = owner_client.get(refund_url(customer), follow=True)

    assert response.redirect_chain[-1][0] == customer.get_absolute_url()
    assert "Le client Boulangerie Martin SAS n&#x27;a pas de crédit en EUR à rembourser." in response.text


def test_refund_of_another_organisations_customer_is_404(outsider_client, customer, hundred):
    record_payment(hundred, Decimal("130.00"), DAY)

    response = outsider_client.post(refund_url(customer), {"amount": "30", "date": "2026-12-10", "method": "cheque"})

    assert response.status_code == 404
    assert customer_credit(customer) == Decimal("30.00")


# The invoice page


def test_invoice_page_links_each_payment_to_its_receipt(owner_client, customer, hundred):
    payment = record_payment(hundred, Decimal("40.00"), DAY, "cheque", "CHQ 7")

    response = owner_client.get(hundred.get_absolute_url())

    link = '<a href="%s" title="Voir l\'encaissement">10/12/2026</a>' % payment.receipt.get_absolute_url()
    assert link in response.text
    assert "depuis le crédit client" not in response.text


def test_apply_credit_settles_the_invoice_from_its_page(owner_client, customer, hundred):
    receive_payment(customer, Decimal("30.00"), DAY, allocations=[])
    page = owner_client.get(hundred.get_absolute_url())

    applied = owner_client.post(reverse("payments:credit_apply", args=[hundred.pk]), follow=True)

    assert "Appliquer le crédit client (30,00%s€)" % NBSP in page.text
    assert (
        "Crédit client de 30,00%s€ appliqué à la facture %s. Reste à payer : 70,00%s€."
        % (
            NBSP,
            hundred.number,
            NBSP,
        )
        in applied.text
    )
    assert hundred.balance() == Decimal("70.00")
    assert customer_credit(customer) == Decimal("0.00")
    assert "depuis le crédit client" in applied.text
    assert "Appliquer le crédit client" not in applied.text


def test_apply_credit_takes_only_what_the_invoice_needs(owner_client, customer, hundred):
    receive_payment(customer, Decimal("250.00"), DAY, allocations=[])

    page = owner_client.get(hundred.get_absolute_url())
    owner_client.post(reverse("payments:credit_apply", args=[hundred.pk]))

    assert "Le client a un crédit de 250,00%s€ : 100,00%s€ peuvent régler cette facture." % (NBSP, NBSP) in page.text
    assert hundred.payment_state() == PaymentState.PAID
    assert customer_credit(customer) == Decimal("150.00")


def test_apply_credit_without_credit_says_so(owner_client, customer, hundred):
    response = owner_client.post(reverse("payments:credit_apply", args=[hundred.pk]), follow=True)

    assert "Le client Boulangerie Martin SAS n&#x27;a pas de crédit à appliquer." in response.text
    assert not Payment.objects.exists()


def test_apply_credit_of_another_currency_is_not_offered(owner_client, customer, hundred):
    receive_payment(customer, Decimal("30.00"), DAY, currency="USD", allocations=[])

    response = owner_client.get(hundred.get_absolute_url())

    assert "Appliquer le crédit client" not in response.text


def test_apply_credit_on_another_organisations_invoice_is_404(outsider_client, customer, hundred):
    receive_payment(customer, Decimal("30.00"), DAY, allocations=[])

    response = outsider_client.post(reverse("payments:credit_apply", args=[hundred.pk]))

    assert response.status_code == 404
    assert customer_credit(customer) == Decimal("30.00")


def test_apply_credit_needs_a_post(owner_client, customer, hundred):
    receive_payment(customer, Decimal("30.00"), DAY, allocations=[])

    assert owner_client.get(reverse("payments:credit_apply", args=[hundred.pk])).status_code == 405
    assert customer_credit(customer) == Decimal("30.00")


def test_cancel_credit_payment_restores_credit(owner_client, customer, hundred):
    receipt = receive_payment(customer, Decimal("30.00"), DAY, allocations=[])
    (payment,) = apply_credit(hundred)

    owner_client.post(reverse("payments:reverse", args=[payment.pk]))

    assert hundred.balance() == Decimal("100.00")
    assert customer_credit(customer) == Decimal("30.00")
    assert not receipt.is_reversed


# The quick payment form of the invoice page


def test_quick_payment_form_records_bank_fees(owner_client, customer, hundred):
    data = {"amount": "100", "date": "2026-12-10", "method": "carte", "reference": "", "bank_fees": "1,75"}

    owner_client.post(reverse("payments:record", args=[hundred.pk]), data)

    receipt = Receipt.objects.get()
    assert receipt.bank_fees == Decimal("1.75")
    assert hundred.balance() == Decimal("0.00")


@pytest.mark.parametrize(
    ("fees", "message"),
    [
        ("100", "Les frais bancaires (100,00%s€) doivent être positifs et inférieurs au montant reçu (100,00%s€)."),
        ("-1", "Les frais bancaires ne peuvent pas être négatifs (vous avez saisi « -1 »)."),
        ("1,2,3", "« 1,2,3 » n'est pas un nombre valide. Saisissez par exemple 1250 ou 12,50."),
    ],
)
def test_quick_payment_form_refuses_bad_bank_fees(owner_client, customer, hundred, fees, message):
    data = {"amount": "100", "date": "2026-12-10", "method": "carte", "reference": "", "bank_fees": fees}

    response = owner_client.post(reverse("payments:record", args=[hundred.pk]), data)

    assert response.context["payment_form"].errors["bank_fees"] == [message.replace("%s", NBSP)]
    assert not Receipt.objects.exists()
