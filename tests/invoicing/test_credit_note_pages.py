"""Credit note pages: create from an issued invoice, edit the draft, issue, « Annuler et remplacer », list."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ardoise.invoicing.credit_notes import create_credit_note, replacement_draft
from ardoise.invoicing.models import Invoice, PaymentState
from ardoise.invoicing.queries import in_state, with_balance
from ardoise.invoicing.services import issue_invoice
from ardoise.payments.services import record_payment

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 4)
NBSP = "\u00a0"


def credit_notes():
    return Invoice.objects.filter(type_code="381")


def test_invoice_page_offers_credit_and_replace(owner_client, issued_invoice):
    response = owner_client.get(issued_invoice.get_absolute_url())

    assert reverse("invoicing:credit", args=[issued_invoice.pk]) in response.text
    assert reverse("invoicing:replace", args=[issued_invoice.pk]) in response.text


def test_draft_page_offers_no_credit(owner_client, draft_invoice):
    response = owner_client.get(draft_invoice.get_absolute_url())

    assert reverse("invoicing:credit", args=[draft_invoice.pk]) not in response.text


def test_credit_form_defaults_to_all_quantities(owner_client, issued_invoice):
    response = owner_client.get(reverse("invoicing:credit", args=[issued_invoice.pk]))

    assert response.status_code == 200
    assert 'name="line_1" value="12,50"' in response.text
    assert 'name="line_2" value="3,00"' in response.text


def test_credit_form_creates_partial_draft(owner_client, issued_invoice):
    url = reverse("invoicing:credit", args=[issued_invoice.pk])
    response = owner_client.post(url, {"line_1": "2,5", "line_2": "0", "notes": "Erreur de temps passé"})

    credit_note = credit_notes().get()
    assert response.status_code == 302
    assert response["Location"] == credit_note.get_absolute_url()
    assert credit_note.notes == "Erreur de temps passé"
    assert credit_note.total_without_vat == Decimal("162.50")


def test_credit_form_rejects_quantity_above_remaining(owner_client, issued_invoice):
    url = reverse("invoicing:credit", args=[issued_invoice.pk])
    response = owner_client.post(url, {"line_1": "13", "line_2": "0"})

    assert response.status_code == 200
    assert "Il ne reste que 12,5 à créditer sur la ligne « Développement web »." in response.text
    assert not credit_notes().exists()


def test_credit_form_rejects_non_numeric_quantity(owner_client, issued_invoice):
    url = reverse("invoicing:credit", args=[issued_invoice.pk])
    response = owner_client.post(url, {"line_1": "deux", "line_2": "0"})

    assert response.status_code == 200
    assert "« deux » n'est pas un nombre valide" in html.unescape(response.text)
    assert not credit_notes().exists()


def test_credit_form_rejects_all_zero(owner_client, issued_invoice):
    url = reverse("invoicing:credit", args=[issued_invoice.pk])
    response = owner_client.post(url, {"line_1": "0", "line_2": ""})

    assert "Indiquez au moins une ligne et une quantité à créditer." in response.text
    assert not credit_notes().exists()


def test_credit_of_draft_redirects_with_message(owner_client, draft_invoice):
    response = owner_client.post(reverse("invoicing:credit", args=[draft_invoice.pk]), {"line_1": "1"}, follow=True)

    assert "n'est pas émis" in html.unescape(response.text)
    assert not credit_notes().exists()


def test_credit_of_credit_note_redirects_with_message(owner_client, issued_invoice):
    credit_note = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("1")}), today=DAY)

    response = owner_client.get(reverse("invoicing:credit", args=[credit_note.pk]), follow=True)

    assert "un avoir ne peut pas être crédité" in response.text
    assert credit_notes().count() == 1


def test_credit_edit_changes_quantities(owner_client, issued_invoice):
    credit_note = create_credit_note(issued_invoice)
    url = reverse("invoicing:credit_edit", args=[credit_note.pk])

    page = owner_client.get(url)
    response = owner_client.post(url, {"line_1": "1", "line_2": "0", "notes": ""})

    assert 'name="line_1" value="12,50"' in page.text
    assert response.status_code == 302
    assert [line.quantity for line in credit_note.lines.all()] == [Decimal("1.0000")]


def test_general_editor_redirects_credit_note(owner_client, issued_invoice):
    credit_note = create_credit_note(issued_invoice)

    response = owner_client.get(reverse("invoicing:edit", args=[credit_note.pk]))

    assert response["Location"] == reverse("invoicing:credit_edit", args=[credit_note.pk])


def test_issued_credit_note_page_links_to_invoice(owner_client, issued_invoice):
    credit_note = create_credit_note(issued_invoice)
    owner_client.post(reverse("invoicing:issue", args=[credit_note.pk]))
    credit_note.refresh_from_db()

    page = owner_client.get(credit_note.get_absolute_url())
    invoice_page = owner_client.get(issued_invoice.get_absolute_url())

    assert "Avoir %s" % credit_note.number in page.text
    assert issued_invoice.get_absolute_url() in page.text
    assert "se rapporte à la facture" in page.text
    assert credit_note.get_absolute_url() in invoice_page.text
    assert "Annulée par avoir" in invoice_page.text
    assert reverse("invoicing:credit", args=[issued_invoice.pk]) not in invoice_page.text


def test_credit_note_pdf_is_named_avoir(owner_client, issued_invoice):
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=DAY)

    response = owner_client.get(reverse("invoicing:pdf", args=[credit_note.pk]))

    assert 'filename="Avoir-F-2026-0002.pdf"' in response["Content-Disposition"]


@pytest.mark.usefixtures("december_2026")
def test_replace_confirmation_then_action(owner_client, issued_invoice):
    url = reverse("invoicing:replace", args=[issued_invoice.pk])

    page = owner_client.get(url)
    response = owner_client.post(url)

    assert "Annuler et remplacer la facture F-2026-0001" in page.text
    credit_note = credit_notes().get()
    draft = Invoice.objects.get(replaced_invoice=issued_invoice)
    assert credit_note.number == "F-2026-0002"
    assert response["Location"] == reverse("invoicing:edit", args=[draft.pk])
    draft_page = owner_client.get(draft.get_absolute_url())
    assert "remplace la facture" in draft_page.text


def test_refund_recorded_from_credit_note_page(owner_client, issued_invoice):
    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    credit_note = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    page = owner_client.get(credit_note.get_absolute_url())
    response = owner_client.post(
        reverse("payments:record", args=[credit_note.pk]),
        {"amount": "195,00", "date": "2026-12-04", "method": "virement", "reference": ""},
        follow=True,
    )

    assert "Enregistrer un remboursement" in page.text
    assert "Remboursement de 195,00%s€ enregistré sur l'avoir" % NBSP in html.unescape(response.text)
    assert credit_note.refund_due() == Decimal("0.00")


def test_list_shows_credit_note_negative(owner_client, issued_invoice):
    issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    response = owner_client.get(reverse("invoicing:list"))

    assert '<span class="badge credit-note">Avoir</span>' in response.text
    assert "-195,00%s€" % NBSP in response.text


def test_sql_states_match_python_states(issued_invoice, organisation):
    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    refund_due = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)
    cancelled = issue_invoice(replacement_draft(issued_invoice), today=DAY)
    settled = issue_invoice(create_credit_note(cancelled), today=DAY)
    invoices = with_balance(Invoice.objects.filter(organisation=organisation))

    expected = {
        issued_invoice.pk: PaymentState.REFUND_DUE,
        refund_due.pk: PaymentState.REFUND_DUE,
        cancelled.pk: PaymentState.CANCELLED,
        settled.pk: PaymentState.SETTLED,
    }
    assert {invoice.pk: invoice.payment_state(today=DAY) for invoice in invoices} == expected
    for state in set(expected.values()):
        in_sql = set(in_state(invoices, state, DAY).values_list("pk", flat=True))
        assert in_sql == {pk for pk, value in expected.items() if value == state}, state


def test_dashboard_counts_credit_notes_negatively(owner_client, issued_invoice):
    issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        response = owner_client.get(reverse("dashboard:home"))

    assert response.context["invoiced_this_month"].amount == issued_invoice.total_with_vat - Decimal("195.00")
    assert response.context["outstanding"].amount == issued_invoice.amount_due - Decimal("195.00")


def test_credit_note_email_is_worded_for_credit_note(issued_invoice):
    from ardoise.mailing.services import default_body, default_subject

    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    credit_note = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    assert default_subject(credit_note).startswith("Avoir F-2026-0002")
    assert "notre avoir F-2026-0002 du 04/12/2026, d'un montant de 195,00%s€ TTC" % NBSP in default_body(credit_note)
    assert "Nous vous remboursons 195,00%s€." % NBSP in default_body(credit_note)
    assert "IBAN" not in default_body(credit_note)


def test_cancelled_invoice_email_says_nothing_to_pay(issued_invoice):
    from ardoise.mailing.services import default_body

    issue_invoice(create_credit_note(issued_invoice), today=DAY)
    issued_invoice.refresh_from_db()

    assert "annulée par avoir : vous n'avez rien à régler" in default_body(issued_invoice)


def test_draft_credit_note_preview_and_delete(owner_client, issued_invoice):
    credit_note = create_credit_note(issued_invoice, {2: Decimal("1")})

    preview = owner_client.get(reverse("invoicing:preview", args=[credit_note.pk]))
    deleted = owner_client.post(reverse("invoicing:delete", args=[credit_note.pk]))

    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert deleted.status_code == 302
    assert not credit_notes().exists()
    assert issued_invoice.lines.count() == 2


def test_customer_page_lists_credit_note_negative(owner_client, issued_invoice, customer):
    issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    response = owner_client.get(reverse("customers:detail", args=[customer.pk]))

    assert "-195,00%s€" % NBSP in response.text
    assert '<span class="badge credit-note">Avoir</span>' in response.text


def test_outsider_cannot_credit_or_replace(outsider_client, issued_invoice):
    for name in ("invoicing:credit", "invoicing:replace"):
        response = outsider_client.post(reverse(name, args=[issued_invoice.pk]), {"line_1": "1", "line_2": "0"})

        assert response.status_code == 404
    assert Invoice.objects.count() == 1


def test_member_can_create_credit_note(member_client, issued_invoice):
    response = member_client.post(reverse("invoicing:credit", args=[issued_invoice.pk]), {"line_1": "1", "line_2": "0"})

    assert response.status_code == 302
    assert credit_notes().count() == 1


def test_fully_credited_line_cannot_be_typed(owner_client, issued_invoice):
    issue_invoice(create_credit_note(issued_invoice, {2: Decimal("3")}), today=DAY)
    url = reverse("invoicing:credit", args=[issued_invoice.pk])

    page = owner_client.get(url)
    response = owner_client.post(url, {"line_1": "1", "line_2": "3"})

    assert 'name="line_2" value="0,00"' in page.text
    assert "disabled" in page.text.split('name="line_2"')[1].split(">")[0]
    assert response.status_code == 302
    assert [line.name for line in credit_notes().order_by("-id").first().lines.all()] == ["Développement web"]


def test_dashboard_lists_credit_note_negative(owner_client, issued_invoice):
    issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    response = owner_client.get(reverse("dashboard:home"))

    assert "-195,00%s€" % NBSP in response.text
    assert ">195,00%s€" % NBSP not in response.text


def test_credit_note_draft_page_has_credit_note_wording(owner_client, issued_invoice):
    credit_note = create_credit_note(issued_invoice, {1: Decimal("2.5")})

    text = html.unescape(owner_client.get(credit_note.get_absolute_url()).text)

    assert "L'émission attribue à l'avoir son numéro définitif" in text
    assert "Une facture émise" not in text
    assert "Délai de paiement" not in text
    assert "Échéance" not in text


def test_credit_note_page_offers_sending(owner_client, issued_invoice):
    credit_note = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("2.5")}), today=DAY)

    text = html.unescape(owner_client.get(credit_note.get_absolute_url()).text)

    assert "Envoyer l'avoir" in text
    assert "Envoyer la facture" not in text


def test_refund_sentence_only_when_invoice_was_paid(issued_invoice):
    unpaid = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("1")}), today=DAY)
    record_payment(issued_invoice, Decimal("100.00"), DAY)
    paid = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("1")}), today=DAY)

    assert unpaid.document["payment_terms"] == "Montant déduit de la facture n° F-2026-0001."
    assert "la part déjà réglée de cette facture vous sera remboursée" in paid.document["payment_terms"]


def test_invoice_page_shows_state_of_its_credit_notes(owner_client, issued_invoice):
    record_payment(issued_invoice, issued_invoice.amount_due, DAY)
    credit_note = issue_invoice(create_credit_note(issued_invoice, {1: Decimal("1")}), today=DAY)

    text = owner_client.get(issued_invoice.get_absolute_url()).text
    row = text[text.index(credit_note.get_absolute_url()) :]
    row = row[: row.index("</tr>")]

    assert '<span class="badge refund_due">À rembourser</span>' in row


def test_credit_note_ubl_is_named_avoir(owner_client, issued_invoice):
    credit_note = issue_invoice(create_credit_note(issued_invoice), today=DAY)

    response = owner_client.get(reverse("invoicing:ubl", args=[credit_note.pk]))

    assert 'filename="Avoir-F-2026-0002.ubl.xml"' in response["Content-Disposition"]
