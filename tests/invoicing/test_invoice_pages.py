"""Invoice list, detail, issuing from the page, immutability and file downloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from ardoise.einvoice import build_ubl_xml, validate_ubl
from ardoise.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, IssuedFile
from ardoise.invoicing.presentation import issued_document
from ardoise.invoicing.services import issue_invoice, refresh_totals
from ardoise.payments.services import record_payment

DAY = datetime.date(2026, 12, 4)
NOON_IN_PARIS = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
NBSP = "\u00a0"
NNBSP = "\u202f"


def make_draft(organisation, customer, price="100.00"):
    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    InvoiceLine.objects.create(invoice=invoice, name="Prestation", quantity=Decimal("1"), unit_price=Decimal(price))
    refresh_totals(invoice)
    return invoice


@pytest.fixture
def issued_invoice(draft_invoice):
    return issue_invoice(draft_invoice, today=DAY)


@pytest.mark.django_db
def test_list_shows_amounts_dates_and_states(owner_client, draft_invoice, organisation, customer):
    issued = issue_invoice(make_draft(organisation, customer), today=DAY)

    with time_machine.travel(NOON_IN_PARIS, tick=False):
        response = owner_client.get(reverse("invoicing:list"))

    text = response.text
    assert response.status_code == 200
    assert issued.number in text
    assert "Brouillon n° %d" % draft_invoice.pk in text
    assert "04/12/2026" in text
    assert "03/01/2027" in text
    assert "1%s065,00%s€" % (NNBSP, NBSP) in text
    assert "120,00%s€" % NBSP in text
    assert '<span class="badge issued">Émise</span>' in text
    assert '<span class="badge draft">Brouillon</span>' in text


@pytest.mark.django_db
def test_list_filters_by_state(owner_client, organisation, customer):
    paid = issue_invoice(make_draft(organisation, customer), today=DAY)
    partly = issue_invoice(make_draft(organisation, customer), today=DAY)
    late = issue_invoice(make_draft(organisation, customer), today=datetime.date(2026, 10, 1))
    with time_machine.travel(NOON_IN_PARIS, tick=False):
        record_payment(paid, Decimal("120.00"), DAY)
        record_payment(partly, Decimal("20.00"), DAY)

        pages = {
            state: owner_client.get(reverse("invoicing:list"), {"etat": state}).text
            for state in ("paid", "partially_paid", "overdue", "draft")
        }

    assert paid.number in pages["paid"]
    assert partly.number not in pages["paid"]
    assert partly.number in pages["partially_paid"]
    assert late.number in pages["overdue"]
    assert paid.number not in pages["overdue"]
    assert "Aucune facture ne correspond" in pages["draft"]


@pytest.mark.django_db
def test_list_searches_number_and_customer(owner_client, issued_invoice, organisation, customer):
    other = make_draft(organisation, customer)

    by_number = owner_client.get(reverse("invoicing:list"), {"q": "2026-0001"}).text
    by_customer = owner_client.get(reverse("invoicing:list"), {"q": "martin"}).text
    nothing = owner_client.get(reverse("invoicing:list"), {"q": "introuvable"}).text

    assert issued_invoice.number in by_number
    assert "Brouillon n° %d" % other.pk not in by_number
    assert "Brouillon n° %d" % other.pk in by_customer
    assert "Aucune facture ne correspond" in nothing


@pytest.mark.django_db
def test_list_paginates_and_keeps_filters(owner_client, organisation, customer):
    for _ in range(27):
        Invoice.objects.create(organisation=organisation, customer=customer)

    first = owner_client.get(reverse("invoicing:list"), {"etat": "draft"}).text
    second = owner_client.get(reverse("invoicing:list"), {"etat": "draft", "page": "2"}).text

    assert first.count("Brouillon n°") == 25
    assert "Page 1 sur 2" in first
    assert "?etat=draft&amp;page=2" in first
    assert second.count("Brouillon n°") == 2


@pytest.mark.django_db
def test_list_empty_state_guides_new_user(owner_client):
    response = owner_client.get(reverse("invoicing:list"))

    assert "Créer ma première facture" in response.text


@pytest.mark.django_db
def test_detail_of_draft_shows_lines_and_vat_breakdown(owner_client, draft_invoice):
    response = owner_client.get(reverse("invoicing:detail", args=[draft_invoice.pk]))

    text = response.text
    assert "Livre « Lumière »" in text
    assert "28,436%s€" % NBSP in text
    assert "812,50%s€" % NBSP in text
    assert "TVA 5,5%s%%" % NNBSP in text
    assert "162,50%s€" % NBSP in text
    assert "4,69%s€" % NBSP in text
    assert "Émettre la facture" in text


@pytest.mark.django_db
def test_issue_from_page_assigns_number(owner_client, draft_invoice):
    with time_machine.travel(NOON_IN_PARIS, tick=False):
        response = owner_client.post(reverse("invoicing:issue", args=[draft_invoice.pk]), follow=True)

    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.number == "F-2026-0001"
    assert invoice.issue_date == DAY
    assert "Facture F-2026-0001 émise." in response.text
    assert "Télécharger le PDF (Factur-X)" in response.text


@pytest.mark.django_db
def test_issue_get_asks_confirmation(owner_client, draft_invoice):
    detail = owner_client.get(reverse("invoicing:detail", args=[draft_invoice.pk])).content.decode()
    issue_url = reverse("invoicing:issue", args=[draft_invoice.pk])

    with time_machine.travel(NOON_IN_PARIS, tick=False):
        response = owner_client.get(issue_url)

    text = response.content.decode().replace("&#x27;", "'")
    draft_invoice.refresh_from_db()
    assert '<a class="button" href="%s">Émettre la facture</a>' % issue_url in detail
    assert response.status_code == 200
    assert "Boulangerie Martin SAS" in text
    assert "1%s065,00%s€" % (NNBSP, NBSP) in text
    assert "<dd>04/12/2026</dd>" in text
    assert "<dd>03/01/2027</dd>" in text
    assert "Une facture émise ne peut plus être modifiée ni supprimée ; une erreur se corrige par un avoir." in text
    assert '<button type="submit">Confirmer l\'émission</button>' in text
    assert draft_invoice.status == InvoiceStatus.DRAFT


@pytest.mark.django_db
def test_issue_confirmation_lists_problems(owner_client, draft_invoice, customer):
    customer.address_line1 = ""
    customer.save()

    response = owner_client.get(reverse("invoicing:issue", args=[draft_invoice.pk]))

    text = response.content.decode().replace("&#x27;", "'")
    assert "Complétez l'adresse de facturation du client « Boulangerie Martin SAS »." in text
    assert "<button" not in text.split("<main", 1)[1]


@pytest.mark.django_db
def test_issue_confirmation_redirects_issued_invoice(owner_client, issued_invoice):
    response = owner_client.get(reverse("invoicing:issue", args=[issued_invoice.pk]))

    assert response.status_code == 302
    assert response["Location"] == issued_invoice.get_absolute_url()


@pytest.mark.django_db
def test_issue_refused_shows_french_details_and_keeps_draft(owner_client, draft_invoice, customer):
    customer.address_line1 = ""
    customer.save()

    response = owner_client.post(reverse("invoicing:issue", args=[draft_invoice.pk]))

    draft_invoice.refresh_from_db()
    assert response.status_code == 200
    assert "La facture ne peut pas encore être émise." in response.text
    assert "Complétez l&#x27;adresse de facturation du client « Boulangerie Martin SAS »." in response.text
    assert draft_invoice.status == InvoiceStatus.DRAFT
    assert draft_invoice.number == ""


@pytest.mark.django_db
def test_draft_page_lists_problems_before_issuing(owner_client, draft_invoice, organisation):
    organisation.siren = ""
    organisation.save()

    response = owner_client.get(reverse("invoicing:detail", args=[draft_invoice.pk]))

    assert "Avant d'émettre, corrigez :" in response.text
    assert "SIREN" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["invoicing:edit", "invoicing:delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_issued_invoice_refuses_edit_and_delete(owner_client, issued_invoice, url_name, method):
    url = reverse(url_name, args=[issued_invoice.pk])

    response = getattr(owner_client, method)(url, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == issued_invoice.get_absolute_url()
    assert "établissez un avoir" in response.text
    assert Invoice.objects.filter(pk=issued_invoice.pk, status=InvoiceStatus.ISSUED).exists()


@pytest.mark.django_db
def test_issued_invoice_refuses_orm_update(issued_invoice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=issued_invoice.pk).update(notes="x")


@pytest.mark.django_db
def test_pdf_download_serves_stored_bytes(owner_client, issued_invoice):
    response = owner_client.get(reverse("invoicing:pdf", args=[issued_invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Facture-F-2026-0001.pdf"'
    assert response.content == bytes(IssuedFile.objects.get(invoice=issued_invoice).pdf)


@pytest.mark.django_db
def test_xml_download_serves_stored_bytes(owner_client, issued_invoice):
    response = owner_client.get(reverse("invoicing:xml", args=[issued_invoice.pk]))

    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == 'attachment; filename="Facture-F-2026-0001.xml"'
    assert response.content == bytes(IssuedFile.objects.get(invoice=issued_invoice).xml)


@pytest.mark.django_db
def test_ubl_download_is_built_from_snapshot_and_stable(owner_client, issued_invoice):
    url = reverse("invoicing:ubl", args=[issued_invoice.pk])

    first = owner_client.get(url)
    second = owner_client.get(url)

    assert first["Content-Type"] == "application/xml"
    assert first["Content-Disposition"] == 'attachment; filename="Facture-F-2026-0001.ubl.xml"'
    assert first.content == second.content
    assert first.content == build_ubl_xml(issued_document(issued_invoice))
    assert validate_ubl(first.content).errors == ()


@pytest.mark.django_db
def test_issued_page_links_all_downloads(owner_client, issued_invoice):
    page = owner_client.get(reverse("invoicing:detail", args=[issued_invoice.pk])).content.decode()

    assert reverse("invoicing:pdf", args=[issued_invoice.pk]) in page
    assert reverse("invoicing:xml", args=[issued_invoice.pk]) in page
    assert reverse("invoicing:ubl", args=[issued_invoice.pk]) in page
    assert "XML (UBL)" in page


@pytest.mark.django_db
def test_draft_has_no_ubl(owner_client, draft_invoice):
    response = owner_client.get(reverse("invoicing:ubl", args=[draft_invoice.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_draft_has_no_pdf_but_a_preview(owner_client, draft_invoice):
    pdf = owner_client.get(reverse("invoicing:pdf", args=[draft_invoice.pk]))
    preview = owner_client.get(reverse("invoicing:preview", args=[draft_invoice.pk]))

    assert pdf.status_code == 404
    assert preview.status_code == 200
    assert preview.content.startswith(b"%PDF-")
    assert preview["Content-Disposition"].startswith("inline")
    assert Invoice.objects.get(pk=draft_invoice.pk).number == ""
