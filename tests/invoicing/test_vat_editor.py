"""The draft editor under each VAT situation: defaults of new lines and the explanation of what applies."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from ardoise.accounts.models import VatRegime
from ardoise.catalogue.models import Product, ProductKind
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice
from tests.invoicing.test_editor import editor_data, line_fields


@pytest.fixture
def german_company(organisation):
    return Customer.objects.create(
        organisation=organisation,
        name="Müller GmbH",
        country_code="DE",
        vat_number="DE136695976",
        email="buchhaltung@mueller.de",
        address_line1="1 Hauptstraße",
        postcode="10115",
        city="Berlin",
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_new_invoice_for_eu_business_proposes_reverse_charge(owner_client, german_company):
    response = owner_client.get(reverse("invoicing:create") + "?client=%s" % german_company.pk)

    first_line = response.context["formset"].forms[0]
    assert first_line.initial["vat_rate"] == "0.00"
    assert first_line.initial["exemption"] == "reverse_charge"
    text = page_text(response)
    assert "« Müller GmbH » : Entreprise dans l'UE (autoliquidation / livraison intracommunautaire)" in text
    assert "Prestations de services : pas de TVA française, le client l'autoliquide" in text


@pytest.mark.django_db
def test_new_invoice_for_french_customer_keeps_standard_rate(owner_client, customer):
    response = owner_client.get(reverse("invoicing:create") + "?client=%s" % customer.pk)

    assert "exemption" not in response.context["formset"].forms[0].initial
    assert "La TVA française s'applique au taux de chaque ligne." in page_text(response)


@pytest.mark.django_db
def test_added_line_follows_the_chosen_customer(owner_client, german_company):
    response = owner_client.get(
        reverse("invoicing:line_add"), {"lines-TOTAL_FORMS": "1", "customer": german_company.pk}
    )

    line_form = response.context["line_form"]
    assert line_form.initial == {"vat_rate": "0.00", "exemption": "reverse_charge"}


@pytest.mark.django_db
def test_catalogue_goods_become_intra_eu_supply(owner_client, organisation, german_company):
    product = Product.objects.create(
        organisation=organisation, name="Machine", unit_price="900.0000", vat_rate="20.00", kind=ProductKind.GOODS
    )

    response = owner_client.get(
        reverse("invoicing:line_fill"),
        {"prefix": "lines-0", "lines-0-product": product.pk, "customer": german_company.pk},
    )

    assert response.context["line_form"].initial["vat_rate"] == "0.00"
    assert response.context["line_form"].initial["exemption"] == "intra_eu_goods"


@pytest.mark.django_db
def test_goods_line_switches_to_intra_eu(owner_client, german_company):
    line = line_fields(name="Machine", unit_price="900", vat_rate="0.00", exemption="reverse_charge", kind="goods")

    owner_client.post(reverse("invoicing:create"), editor_data(german_company, [line]))

    saved = Invoice.objects.get().lines.get()
    assert (saved.vat_category, saved.exemption) == ("K", "intra_eu_goods")
    assert saved.exemption_text == "Exonération de TVA, article 262 ter I du CGI"


@pytest.mark.django_db
def test_domestic_rate_stays_for_an_eu_customer(owner_client, german_company):
    line = line_fields(name="Travaux à Lyon", unit_price="100", vat_rate="20.00")

    owner_client.post(reverse("invoicing:create"), editor_data(german_company, [line]))

    saved = Invoice.objects.get().lines.get()
    assert (saved.vat_category, saved.vat_rate) == ("S", 20)


@pytest.mark.django_db
def test_vat_explanation_reloads_for_the_chosen_customer(owner_client, german_company):
    response = owner_client.get(reverse("invoicing:vat_situation"), {"customer": german_company.pk})

    assert "Biens expédiés dans un autre État membre : exonérés" in page_text(response)


@pytest.mark.django_db
def test_vat_explanation_ignores_another_organisations_customer(outsider_client, german_company):
    response = outsider_client.get(reverse("invoicing:vat_situation"), {"customer": german_company.pk})

    assert response.status_code == 200
    assert "Müller" not in page_text(response)


@pytest.mark.django_db
def test_franchise_editor_explains_293_b(owner_client, organisation, customer):
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.save()

    response = owner_client.get(reverse("invoicing:create") + "?client=%s" % customer.pk)

    text = page_text(response)
    assert "Franchise en base de TVA : votre entreprise ne facture pas de TVA." in text
    assert "« TVA non applicable, art. 293 B du CGI »" in text


@pytest.mark.django_db
def test_exempt_organisation_editor_states_its_basis(owner_client, organisation, customer):
    organisation.vat_regime = VatRegime.EXEMPT
    organisation.vat_exemption = "training"
    organisation.save()

    response = owner_client.get(reverse("invoicing:create") + "?client=%s" % customer.pk)

    assert response.context["formset"].forms[0].initial["exemption"] == "training"
    assert "« Exonération de TVA, article 261-4-4° a du CGI »" in page_text(response)
