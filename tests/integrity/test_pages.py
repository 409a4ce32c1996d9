"""The « Contrôle d'intégrité » page, its PDF attestation, the journal and the invoice history."""

from __future__ import annotations

import datetime
import html
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ardoise.audit.models import AuditEntry
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.payments.models import Payment
from ardoise.payments.services import record_payment

CHECK_URL = "/integrite/"
ATTESTATION_URL = "/integrite/attestation.pdf"
JOURNAL_URL = "/journal/"


def page_text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.mark.django_db
def test_check_page_reports_intact_chain(owner_client, paid_invoice):
    response = owner_client.get(CHECK_URL)

    text = page_text(response)
    assert response.status_code == 200
    assert "Chaîne intacte." in text
    assert "3 enregistrements vérifiés" in text
    assert "Facture F-2026-0001" in text


@pytest.mark.django_db
def test_check_page_names_the_altered_invoice(owner_client, paid_invoice, tamper):
    tamper("UPDATE invoicing_invoice SET number = %s WHERE id = %s", ["F-2026-0999", paid_invoice.pk])

    response = owner_client.get(CHECK_URL)

    text = page_text(response)
    assert response.status_code == 200
    assert "Anomalie détectée." in text
    assert "Maillon n° 1, Facture F-2026-0001 du 04/12/2026 : contenu de l'enregistrement modifié." in text
    assert reverse("invoicing:detail", args=[paid_invoice.pk]) in response.content.decode()


@pytest.mark.django_db
def test_check_page_names_the_altered_pdf(owner_client, paid_invoice, tamper):
    tamper("UPDATE invoicing_issuedfile SET pdf = %s WHERE invoice_id = %s", [b"%PDF forged", paid_invoice.pk])

    text = page_text(owner_client.get(CHECK_URL))

    assert "Facture F-2026-0001 du 04/12/2026 : empreinte du PDF conservé différente." in text


@pytest.mark.django_db
def test_check_page_names_the_altered_payment(owner_client, paid_invoice, tamper):
    payment = Payment.objects.get(invoice=paid_invoice)
    tamper("UPDATE payments_payment SET date = %s WHERE id = %s", ["2026-12-05", payment.pk])

    text = page_text(owner_client.get(CHECK_URL))

    assert "Paiement n° %s de la facture F-2026-0001 du 05/12/2026" % payment.pk in text
    assert "2 enregistrements précédents sont conformes." in text


@pytest.mark.django_db
def test_check_page_only_checks_own_organisation(outsider_client, paid_invoice, tamper):
    tamper("UPDATE invoicing_invoice SET notes = %s WHERE id = %s", ["x", paid_invoice.pk])

    text = page_text(outsider_client.get(CHECK_URL))

    assert "Chaîne intacte." in text
    assert "<dt>Facture</dt><dd>0</dd>" in text


@pytest.mark.django_db
def test_attestation_pdf_states_the_result(owner_client, paid_invoice):
    response = owner_client.get(ATTESTATION_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="attestation-integrite-2026-12-10-')
    text = pdf_text(response.content)
    assert "Attestation de contrôle d'intégrité" in text
    assert "Atelier Dupont SARL, SIREN 732829320" in text
    assert "Résultat : chaîne intacte" in text
    assert "10 décembre 2026" in text or "10/12/2026" in text


@pytest.mark.django_db
def test_attestation_pdf_names_the_failure(owner_client, paid_invoice, tamper):
    tamper("UPDATE invoicing_issuedfile SET xml = %s WHERE invoice_id = %s", [b"<x/>", paid_invoice.pk])

    text = pdf_text(owner_client.get(ATTESTATION_URL).content)

    assert "Résultat : anomalie détectée" in text
    assert "empreinte du XML conservé différente" in text


@pytest.mark.django_db
def test_organisation_page_links_to_check_and_journal(owner_client):
    content = owner_client.get(reverse("accounts:organisation")).content.decode()

    assert 'href="/integrite/"' in content
    assert 'href="/journal/"' in content


# Reversing a payment from the invoice page


@pytest.mark.django_db
def test_reverse_button_records_a_reversal(owner_client, paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)

    response = owner_client.post(reverse("payments:reverse", args=[payment.pk]), follow=True)

    text = page_text(response)
    assert "Le paiement de 400,00" in text
    assert "est annulé" in text
    assert Payment.objects.get(reverses=payment).amount == Decimal("-400.00")


@pytest.mark.django_db
def test_reversing_twice_shows_a_message(owner_client, paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)
    url = reverse("payments:reverse", args=[payment.pk])
    owner_client.post(url)

    text = page_text(owner_client.post(url, follow=True))

    assert "Le paiement du 08/12/2026 est déjà annulé." in text
    assert Payment.objects.filter(invoice=paid_invoice).count() == 2


# Audit log: the invoice history and the journal


@pytest.mark.django_db
def test_invoice_page_shows_its_history(owner_client, paid_invoice):
    text = page_text(owner_client.get(paid_invoice.get_absolute_url()))

    assert "Historique" in text
    assert "Facture émise" in text
    assert "Paiement enregistré" in text
    assert "alice@atelier-dupont.fr" in text


@pytest.mark.django_db
def test_web_entries_record_the_ip_address(owner_client, paid_invoice):
    payment = Payment.objects.get(invoice=paid_invoice)
    owner_client.post(reverse("payments:reverse", args=[payment.pk]), REMOTE_ADDR="192.0.2.7")

    entry = AuditEntry.objects.get(action="payment.reversed")
    assert entry.ip_address == "192.0.2.7"
    assert entry.source == "web"
    assert entry.data == {"number": "F-2026-0001", "amount": "-400.00", "reverses": payment.pk}


@pytest.mark.django_db
def test_command_line_entries_name_the_command(issued_invoice):
    from django.core.management import call_command

    call_command("payment", "add", "F-2026-0001", "100,00", "--date", "2026-12-09", stdout=io.StringIO())

    entry = AuditEntry.objects.get(action="payment.recorded")
    assert entry.source == "cli"
    assert entry.command == "ardoise payment add"
    assert entry.ip_address is None


@pytest.mark.django_db
def test_invoice_issued_from_command_line_names_command(draft_invoice):
    from django.core.management import call_command

    call_command("invoice", "issue", str(draft_invoice.pk), stdout=io.StringIO())

    entry = AuditEntry.objects.get(action="invoice.issued")
    assert entry.source == "cli"
    assert entry.command == "ardoise invoice issue"
    assert entry.object_id == str(draft_invoice.pk)
    assert entry.user is None


@pytest.mark.django_db
def test_draft_edit_records_field_changes(owner, draft_invoice):
    from ardoise.invoicing.services import save_draft

    draft_invoice.notes = "Merci pour votre confiance."
    save_draft(draft_invoice, list(draft_invoice.lines.all()), user=owner)

    entry = AuditEntry.objects.get(action="invoice.draft_updated")
    assert entry.data["changes"] == {"notes": ["", "Merci pour votre confiance."]}


@pytest.mark.django_db
def test_journal_lists_entries_of_own_organisation_only(owner_client, paid_invoice, other_organisation):
    from ardoise.audit.services import record

    record(other_organisation, "customer.created", data={"secret": "Concurrent"})

    text = page_text(owner_client.get(JOURNAL_URL))

    assert "Facture émise" in text
    assert "Paiement enregistré" in text
    assert "Client créé" not in text


@pytest.mark.django_db
def test_journal_filters_by_user(owner_client, owner, member, paid_invoice):
    record_payment(paid_invoice, Decimal("5.00"), datetime.date(2026, 12, 9), user=member)

    text = page_text(owner_client.get(JOURNAL_URL, {"user": member.pk}))

    assert "2 événements" in text  # the receipt and the payment it makes on the invoice
    assert "bob@atelier-dupont.fr" in text
    assert "alice@atelier-dupont.fr</td>" not in text


@pytest.mark.django_db
def test_journal_filters_by_date(owner_client, paid_invoice):
    assert "Aucun événement ne correspond" in page_text(owner_client.get(JOURNAL_URL, {"end": "2026-12-01"}))
    assert "Paiement enregistré" in page_text(owner_client.get(JOURNAL_URL, {"start": "2026-12-10"}))


@pytest.mark.django_db
def test_journal_explains_reversed_dates(owner_client, paid_invoice):
    text = page_text(owner_client.get(JOURNAL_URL, {"start": "2026-12-10", "end": "2026-12-01"}))

    assert "La date de début (10/12/2026) est postérieure à la date de fin (01/12/2026) : inversez-les." in text


@pytest.mark.django_db
def test_journal_refuses_a_user_of_another_organisation(owner_client, outsider, paid_invoice):
    text = page_text(owner_client.get(JOURNAL_URL, {"user": outsider.pk}))

    assert "Cet utilisateur n'existe pas dans votre entreprise" in text


@pytest.mark.django_db
def test_journal_is_paginated(owner_client, organisation):
    from ardoise.audit.services import record

    for _ in range(51):
        record(organisation, "organisation.updated", organisation)

    text = page_text(owner_client.get(JOURNAL_URL))

    assert "51 événements" in text
    assert "Page 1 sur 2" in text


@pytest.mark.django_db
def test_journal_shows_changes_in_french(owner_client, owner, draft_invoice):
    from ardoise.invoicing.services import save_draft

    draft_invoice.notes = "Merci pour votre confiance."
    save_draft(draft_invoice, list(draft_invoice.lines.all()), user=owner)

    text = page_text(owner_client.get(JOURNAL_URL))

    assert "Brouillon modifié" in text
    assert "notes imprimées sur la facture : — → Merci pour votre confiance." in text
    assert "Montant dû : 1 065,00 €" in text


@pytest.mark.django_db
def test_journal_writes_amounts_dates_and_lines_in_french(owner_client, owner, paid_invoice):
    from ardoise.invoicing.services import save_draft

    draft = Invoice.objects.create(organisation=paid_invoice.organisation, customer=paid_invoice.customer)
    line = InvoiceLine(
        name="Journée de conseil", quantity=Decimal("3"), unit_price=Decimal("650"), vat_rate=Decimal("0")
    )
    save_draft(draft, [line], user=owner)
    line.quantity = Decimal("2.5")
    save_draft(draft, [line], user=owner)

    text = page_text(owner_client.get(JOURNAL_URL))

    assert "Montant dû : 1 625,00 €" in text
    assert "Date : 08/12/2026" in text
    assert "Lignes : 3 × 650,00 € (TVA 0 %) Journée de conseil → 2,5 × 650,00 € (TVA 0 %) Journée de conseil" in text
    assert "1625.00" not in text
    assert "2026-12-08" not in text


@pytest.mark.django_db
def test_draft_edit_ignores_numerically_equal_values(owner, draft_invoice):
    from ardoise.invoicing.services import save_draft

    draft_invoice.discount_value = Decimal("0")
    draft_invoice.notes = "Merci."
    save_draft(draft_invoice, list(draft_invoice.lines.all()), user=owner)

    entry = AuditEntry.objects.get(action="invoice.draft_updated")
    assert entry.data["changes"] == {"notes": ["", "Merci."]}


@pytest.mark.django_db
def test_journal_shows_deleted_draft_without_link(owner_client, owner, draft_invoice):
    from ardoise.invoicing.services import delete_draft, save_draft

    save_draft(draft_invoice, list(draft_invoice.lines.all()), user=owner)
    url = draft_invoice.get_absolute_url()
    name = str(draft_invoice)
    delete_draft(draft_invoice, user=owner)

    response = owner_client.get(JOURNAL_URL)

    assert f'href="{url}"' not in response.content.decode()
    assert f"{name} (supprimé)" in page_text(response)


@pytest.mark.django_db
def test_journal_links_to_existing_invoice(owner_client, paid_invoice):
    response = owner_client.get(JOURNAL_URL)

    assert f'href="{paid_invoice.get_absolute_url()}"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [{"start": "2026-12-10", "end": "2026-12-01"}, {"start": "32/12/2026"}],
    ids=["reversed dates", "bad date"],
)
def test_journal_with_invalid_filters_lists_no_event(owner_client, paid_invoice, filters):
    text = page_text(owner_client.get(JOURNAL_URL, filters))

    assert "Corrigez les filtres ci-dessus pour afficher les événements." in text
    assert "Facture émise" not in text
    assert "événements" not in text.replace("afficher les événements", "")
