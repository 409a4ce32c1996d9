"""Recording payments: partial, full, refused amounts and dates, overdue state, the form on the invoice page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.models import PaymentState
from ardoise.payments.models import Payment
from ardoise.payments.services import PaymentError, customer_credit, record_payment

PARIS = ZoneInfo("Europe/Paris")
DEC_10 = datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS)
NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(DEC_10, tick=False):
        yield


@pytest.mark.django_db
def test_partial_payment_leaves_balance(issued_invoice, owner):
    payment = record_payment(
        issued_invoice, Decimal("400.00"), datetime.date(2026, 12, 8), "virement", "VIR 123", user=owner
    )

    assert payment.amount == Decimal("400.00")
    assert payment.created_by == owner
    assert issued_invoice.balance() == Decimal("665.00")
    assert issued_invoice.payment_state() == PaymentState.PARTIALLY_PAID


@pytest.mark.django_db
def test_payments_up_to_balance_make_invoice_paid(issued_invoice):
    record_payment(issued_invoice, Decimal("400.00"), datetime.date(2026, 12, 8))
    record_payment(issued_invoice, Decimal("665.00"), datetime.date(2026, 12, 10))

    assert issued_invoice.balance() == Decimal("0.00")
    assert issued_invoice.payment_state() == PaymentState.PAID


@pytest.mark.django_db
def test_overpayment_becomes_customer_credit(issued_invoice):
    record_payment(issued_invoice, Decimal("1000.00"), datetime.date(2026, 12, 8))

    payment = record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 9))

    assert payment.amount == Decimal("65.00")
    assert payment.receipt.amount == Decimal("100.00")
    assert issued_invoice.balance() == Decimal("0.00")
    assert customer_credit(issued_invoice.customer) == Decimal("35.00")


@pytest.mark.django_db
def test_payment_on_paid_invoice_refused_pointing_to_customer_credit(issued_invoice):
    record_payment(issued_invoice, Decimal("1065.00"), datetime.date(2026, 12, 8))

    with pytest.raises(PaymentError) as caught:
        record_payment(issued_invoice, Decimal("65.01"), datetime.date(2026, 12, 9))

    assert "F-2026-0001" in caught.value.message
    assert "crédit" in caught.value.message
    assert Payment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0.00", "-10.00"])
def test_non_positive_amount_refused(issued_invoice, amount):
    with pytest.raises(PaymentError, match="doit être positif"):
        record_payment(issued_invoice, Decimal(amount), datetime.date(2026, 12, 8))


@pytest.mark.django_db
def test_payment_before_issue_date_refused(issued_invoice):
    with pytest.raises(PaymentError, match="précède la date d'émission de la facture \\(04/12/2026\\)"):
        record_payment(issued_invoice, Decimal("10.00"), datetime.date(2026, 12, 3))


@pytest.mark.django_db
def test_payment_in_future_refused(issued_invoice):
    with pytest.raises(PaymentError, match="11/12/2026\\) est dans le futur"):
        record_payment(issued_invoice, Decimal("10.00"), datetime.date(2026, 12, 11))


@pytest.mark.django_db
def test_payment_on_draft_refused(draft_invoice):
    with pytest.raises(PaymentError, match="facture émise"):
        record_payment(draft_invoice, Decimal("10.00"), datetime.date(2026, 12, 8))


@pytest.mark.django_db
def test_payment_writes_audit_entry(issued_invoice, owner):
    payment = record_payment(issued_invoice, Decimal("100.00"), datetime.date(2026, 12, 8), user=owner)

    entry = AuditEntry.objects.get(action="payment.recorded")
    assert entry.object_id == str(payment.pk)
    assert entry.user == owner
    assert entry.data == {"number": "F-2026-0001", "amount": "100.00", "date": "2026-12-08", "method": "virement"}


@pytest.mark.django_db
def test_unpaid_invoice_overdue_after_due_date(issued_invoice):
    with time_machine.travel(datetime.datetime(2027, 1, 3, 23, 0, tzinfo=PARIS), tick=False):
        on_due_date = issued_invoice.payment_state()
    with time_machine.travel(datetime.datetime(2027, 1, 4, 0, 30, tzinfo=PARIS), tick=False):
        day_after = issued_invoice.payment_state()
        record_payment(issued_invoice, Decimal("1065.00"), datetime.date(2027, 1, 4))
        paid_late = issued_invoice.payment_state()

    assert on_due_date == PaymentState.ISSUED
    assert day_after == PaymentState.OVERDUE
    assert paid_late == PaymentState.PAID


@pytest.mark.django_db
def test_payment_form_records_french_amount(owner_client, issued_invoice):
    data = {"amount": "1 000,50", "date": "2026-12-09", "method": "cheque", "reference": "Chèque 0042"}

    response = owner_client.post(reverse("payments:record", args=[issued_invoice.pk]), data, follow=True)

    payment = Payment.objects.get()
    assert payment.amount == Decimal("1000.50")
    assert payment.method == "cheque"
    assert "Paiement de 1%s000,50%s€ enregistré" % (NNBSP, NBSP) in response.text
    assert "Partiellement payée" in response.text
    assert "64,50%s€" % NBSP in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0", "-10"])
def test_payment_form_rejects_non_positive_amount(owner_client, issued_invoice, typed):
    data = {"amount": typed, "date": "2026-12-09", "method": "virement", "reference": ""}

    response = owner_client.post(reverse("payments:record", args=[issued_invoice.pk]), data)

    assert response.status_code == 200
    assert response.context["payment_form"].errors["amount"] == [
        "Le montant doit être supérieur à 0,00%s€ (vous avez saisi « %s »)." % (NBSP, typed)
    ]
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_payment_form_reads_thousands_dots(owner_client, issued_invoice):
    data = {"amount": "1.000,50", "date": "2026-12-09", "method": "virement", "reference": ""}

    owner_client.post(reverse("payments:record", args=[issued_invoice.pk]), data)

    assert Payment.objects.get().amount == Decimal("1000.50")


@pytest.mark.django_db
def test_payment_form_keeps_overpayment_as_credit_and_says_so(owner_client, issued_invoice):
    data = {"amount": "2000", "date": "2026-12-09", "method": "virement", "reference": ""}

    response = owner_client.post(reverse("payments:record", args=[issued_invoice.pk]), data, follow=True)

    assert "1%s065,00%s€ réglés sur la facture F-2026-0001 et 935,00%s€ gardés en crédit" % (NNBSP, NBSP, NBSP) in (
        response.text
    )
    assert Payment.objects.get().amount == Decimal("1065.00")
    assert customer_credit(issued_invoice.customer) == Decimal("935.00")


@pytest.mark.django_db
def test_paid_invoice_hides_payment_form(owner_client, issued_invoice):
    record_payment(issued_invoice, Decimal("1065.00"), datetime.date(2026, 12, 9))

    response = owner_client.get(issued_invoice.get_absolute_url())

    assert "Cette facture est entièrement payée." in response.text
    assert "Enregistrer le paiement" not in response.text
    assert '<span class="badge paid">Payée</span>' in response.text


@pytest.mark.django_db
def test_reloading_the_payment_url_goes_back_to_the_invoice(owner_client, issued_invoice):
    from django.urls import reverse

    response = owner_client.get(reverse("payments:record", args=[issued_invoice.pk]))
    assert response.status_code == 302
    assert response["Location"] == issued_invoice.get_absolute_url() + "#paiements"
