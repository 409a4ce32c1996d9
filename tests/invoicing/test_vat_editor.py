"""The draft editor under each VAT situation: defaults of new lines and the explanation of what applies."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import html as lxml_html

from ardoise.accounts.models import VatRegime
from ardoise.catalogue.models import Product, ProductKind
from ardoise.core.money import Adjustment, VatKey
from ardoise.customers.models import Customer
from ardoise.invoicing.documents import adjustment_to_json
from ardoise.invoicing.models import Invoice, InvoiceLine
from ardoise.invoicing.services import normalise_line_vat
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


@pytest.fixture
def swiss_company(organisation):
    return Customer.objects.create(
        organisation=organisation,
        name="Fromagerie Alpina SA",
        country_code="CH",
        email="compta@alpina.ch",
        address_line1="Rue du Lac 4",
        postcode="1003",
        city="Lausanne",
    )


def swapped_fields(response) -> dict[str, str]:
    """Return the selected value of each out-of-band field of a response, by field id."""
    fields = {}
    for div in lxml_html.fragment_fromstring(response.content.decode(), create_parent="div").iterfind(
        ".//div[@hx-swap-oob]"
    ):
        select = div.find(".//select")
        selected = select.find(".//option[@selected]")
        fields[select.get("id")] = selected.get("value") if selected is not None else ""
    return fields


@pytest.mark.django_db
def test_choosing_customer_moves_untouched_line(owner_client, german_company):
    data = editor_data(german_company, [line_fields(name="Conseil", unit_price="500")], vat_customer="")

    response = owner_client.post(reverse("invoicing:vat_situation"), data)

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "reverse_charge"}
    assert "Ligne 1 (Conseil) : TVA passée de 20\u202f% à « Autoliquidation », selon la situation du client." in (
        page_text(response)
    )
    assert response["HX-Trigger-After-Settle"] == "lines-changed"
    assert 'id="vat-customer" value="%s"' % german_company.pk in response.content.decode()


@pytest.mark.django_db
def test_choosing_customer_keeps_rate_set_by_hand(owner_client, german_company):
    line = line_fields(name="Livre", unit_price="30", vat_rate="5.50")
    data = editor_data(german_company, [line], vat_customer="")

    response = owner_client.post(reverse("invoicing:vat_situation"), data)

    assert swapped_fields(response) == {}
    assert "Ligne 1 (Livre) : TVA choisie à la main (5,5\u202f%) conservée." in page_text(response)


@pytest.mark.django_db
def test_choosing_export_customer_moves_goods_line(owner_client, swiss_company):
    line = line_fields(name="Fromage", unit_price="30", kind="goods")
    data = editor_data(swiss_company, [line], vat_customer="")

    response = owner_client.post(reverse("invoicing:vat_situation"), data)

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "export"}


@pytest.mark.django_db
def test_changing_customer_moves_lines_of_previous_one(owner_client, german_company, swiss_company):
    line = line_fields(name="Conseil", unit_price="500", vat_rate="0.00", exemption="reverse_charge")
    data = editor_data(swiss_company, [line], vat_customer=str(german_company.pk))

    response = owner_client.post(reverse("invoicing:vat_situation"), data)

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "services_outside_eu"}


@pytest.mark.django_db
def test_new_invoice_remembers_customer_of_lines(owner_client, german_company):
    response = owner_client.get(reverse("invoicing:create") + "?client=%s" % german_company.pk)

    assert 'id="vat-customer" value="%s"' % german_company.pk in response.content.decode()


def kind_request(owner_client, customer, **line):
    query = {"prefix": "lines-0", "customer": customer.pk}
    query.update({"lines-0-%s" % name: value for name, value in line_fields(**line).items()})
    return owner_client.get(reverse("invoicing:line_kind"), query)


@pytest.mark.django_db
def test_goods_nature_makes_eu_line_intra_eu_supply(owner_client, german_company):
    response = kind_request(owner_client, german_company, vat_rate="0.00", exemption="reverse_charge", kind="goods")

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "intra_eu_goods"}


@pytest.mark.django_db
def test_service_nature_makes_eu_line_reverse_charge(owner_client, german_company):
    response = kind_request(owner_client, german_company, vat_rate="0.00", exemption="intra_eu_goods", kind="service")

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "reverse_charge"}


@pytest.mark.django_db
def test_goods_nature_makes_export_line_262_i(owner_client, swiss_company):
    response = kind_request(owner_client, swiss_company, vat_rate="0.00", exemption="services_outside_eu", kind="goods")

    assert swapped_fields(response) == {"id_lines-0-vat_rate": "0.00", "id_lines-0-exemption": "export"}


@pytest.mark.django_db
def test_nature_change_keeps_french_rate(owner_client, german_company):
    response = kind_request(owner_client, german_company, vat_rate="20.00", kind="goods")

    assert swapped_fields(response) == {}
    assert "HX-Trigger-After-Settle" not in response


@pytest.mark.django_db
def test_kind_select_requests_line_vat(owner_client):
    response = owner_client.get(reverse("invoicing:create"))

    assert 'hx-get="%s"' % reverse("invoicing:line_kind") in response.content.decode()


def added_row_vat(response) -> tuple[str, str]:
    row = response.context["adjustment_form"]
    return row.initial["vat_rate"], row.initial["exemption"]


@pytest.mark.django_db
def test_added_charge_follows_export_lines(owner_client, swiss_company):
    lines = [
        line_fields(name="Fromage", quantity="10", unit_price="30", vat_rate="0.00", exemption="export", kind="goods")
    ]
    data = editor_data(swiss_company, lines, **{"adjustments-TOTAL_FORMS": "0"})

    response = owner_client.post(reverse("invoicing:adjustment_add"), data)

    assert added_row_vat(response) == ("0.00", "export")


@pytest.mark.django_db
def test_added_charge_follows_largest_vat_amount(owner_client, german_company):
    lines = [
        line_fields(name="Conseil", unit_price="100", vat_rate="0.00", exemption="reverse_charge"),
        line_fields(name="Machine", unit_price="900", vat_rate="0.00", exemption="intra_eu_goods", kind="goods"),
    ]
    data = editor_data(german_company, lines, **{"adjustments-TOTAL_FORMS": "1"})

    response = owner_client.post(reverse("invoicing:adjustment_add"), data)

    assert added_row_vat(response) == ("0.00", "intra_eu_goods")


@pytest.mark.django_db
def test_added_charge_without_lines_follows_customer(owner_client, german_company):
    data = editor_data(german_company, [], **{"adjustments-TOTAL_FORMS": "0"})

    response = owner_client.post(reverse("invoicing:adjustment_add"), data)

    assert added_row_vat(response) == ("0.00", "reverse_charge")


@pytest.mark.django_db
def test_added_charge_for_french_customer_is_standard_rate(owner_client, customer):
    data = editor_data(customer, [line_fields(name="Conseil", unit_price="100")], **{"adjustments-TOTAL_FORMS": "0"})

    response = owner_client.post(reverse("invoicing:adjustment_add"), data)

    assert added_row_vat(response) == ("20.00", "")


@pytest.mark.django_db
def test_confirmation_warns_of_french_vat_charge_on_export(owner_client, organisation, swiss_company):
    invoice = Invoice.objects.create(organisation=organisation, customer=swiss_company)
    line = InvoiceLine(invoice=invoice, position=0, name="Fromage", unit_price=300, vat_rate=0, is_service=False)
    normalise_line_vat(line, organisation, swiss_company)
    line.save()
    charge = Adjustment(is_charge=True, amount=Decimal("45.00"), reason="Frais de port", vat=VatKey("S", Decimal(20)))
    invoice.document_adjustments = [adjustment_to_json(charge)]
    invoice.save()

    text = page_text(owner_client.get(reverse("invoicing:issue", args=[invoice.pk])))

    assert "« Frais de port » (remises et frais sur le total) porte la TVA française à 20\u202f%" in text
    assert "Confirmer l'émission" in text


@pytest.mark.django_db
def test_nature_change_under_franchise_changes_nothing(owner_client, organisation, german_company):
    organisation.vat_regime = VatRegime.FRANCHISE
    organisation.save()

    response = owner_client.get(
        reverse("invoicing:line_kind"), {"prefix": "lines-0", "lines-0-kind": "goods", "customer": german_company.pk}
    )

    assert response.status_code == 204
