"""VAT situation fields on the customer and organisation forms: defaults, overrides and bad input."""

from __future__ import annotations

import pytest

from ardoise.accounts.models import VatRegime
from ardoise.core.vat import VatSituation, derive_situation, exemption_for_kind
from ardoise.customers.models import Customer
from tests.accounts.test_organisation_profile import PROFILE_URL, profile_data
from tests.customers.test_customer_views import CREATE_URL, customer_data, page_text


@pytest.mark.parametrize(
    ("country", "is_company", "vat_number", "expected"),
    [
        ("FR", True, "FR03552081317", VatSituation.FRANCE),
        ("MC", True, "", VatSituation.FRANCE),
        ("DE", True, "DE136695976", VatSituation.EU_BUSINESS),
        ("DE", True, "", VatSituation.EU_BUSINESS),
        ("BE", False, "BE0403019261", VatSituation.EU_BUSINESS),
        ("IT", False, "", VatSituation.EU_INDIVIDUAL),
        ("CH", True, "", VatSituation.EXPORT),
        ("US", False, "", VatSituation.EXPORT),
    ],
)
def test_situation_derived_from_country_kind_and_number(country, is_company, vat_number, expected):
    assert derive_situation(country, is_company, vat_number) == expected


def test_eu_business_exemption_follows_the_line_kind():
    assert exemption_for_kind("reverse_charge", is_service=False) == "intra_eu_goods"
    assert exemption_for_kind("intra_eu_goods", is_service=True) == "reverse_charge"
    assert exemption_for_kind("export", is_service=True) == "export"


def test_goods_never_keep_the_259_1_wording():
    assert exemption_for_kind("services_outside_eu", is_service=False) == "export"
    assert exemption_for_kind("services_outside_eu", is_service=True) == "services_outside_eu"


@pytest.mark.django_db
def test_customer_situation_is_automatic_by_default(owner_client, organisation):
    owner_client.post(CREATE_URL, customer_data(country_code="DE", postcode="10115", city="Berlin"))

    customer = Customer.objects.get(organisation=organisation)
    assert customer.vat_situation == ""
    assert customer.effective_vat_situation() == VatSituation.EU_BUSINESS


@pytest.mark.django_db
def test_customer_situation_can_be_overridden(owner_client, organisation):
    data = customer_data(vat_situation="exempt", vat_exemption="health")
    owner_client.post(CREATE_URL, data)

    customer = Customer.objects.get(organisation=organisation)
    assert customer.effective_vat_situation() == VatSituation.EXEMPT
    assert customer.exemption_wording() == "Exonération de TVA, article 261-4-1° du CGI"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"vat_situation": "eu_business"},
            "vat_situation",
            "La situation « Entreprise dans l'UE (autoliquidation / livraison intracommunautaire) » ne correspond "
            "pas au pays du client (France). Choisissez « Automatique » ou corrigez le pays.",
        ),
        (
            {"vat_situation": "export", "country_code": "DE", "postcode": "10115"},
            "vat_situation",
            "La situation « Hors UE (export) » ne correspond pas au pays du client (Allemagne). "
            "Choisissez « Automatique » ou corrigez le pays.",
        ),
        (
            {"vat_situation": "exempt"},
            "vat_exemption",
            "Un client exonéré doit avoir la base légale de son exonération, imprimée sur ses factures : "
            "choisissez un motif, ou « Autre motif » et saisissez son texte.",
        ),
        (
            {"vat_situation": "exempt", "vat_exemption": "other"},
            "vat_exemption_text",
            "Un client exonéré doit avoir la base légale de son exonération, imprimée sur ses factures : "
            "choisissez un motif, ou « Autre motif » et saisissez son texte.",
        ),
        (
            {"vat_situation": "martian"},
            "vat_situation",
            "Sélectionnez un choix valide. martian n’en fait pas partie.",
        ),
    ],
)
def test_customer_bad_vat_situation_is_refused(owner_client, organisation, changes, field, message):
    response = owner_client.post(CREATE_URL, customer_data(**changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Customer.objects.filter(organisation=organisation).exists()


@pytest.mark.django_db
def test_export_situation_accepted_for_goods_delivered_outside_eu(owner_client, organisation):
    data = customer_data(
        vat_situation="export",
        delivery_address_line1="Bahnhofstrasse 1",
        delivery_postcode="8001",
        delivery_city="Zürich",
        delivery_country_code="CH",
    )

    owner_client.post(CREATE_URL, data)

    assert Customer.objects.get(organisation=organisation).vat_situation == "export"


@pytest.mark.django_db
def test_eu_business_without_vat_number_is_warned(owner_client, organisation):
    customer = Customer.objects.create(
        organisation=organisation, name="Müller GmbH", country_code="DE", address_line1="1 Hauptstraße"
    )

    response = owner_client.get(customer.get_absolute_url())

    assert "« Müller GmbH » est une entreprise de l'UE sans numéro de TVA intracommunautaire." in page_text(response)


@pytest.mark.django_db
def test_organisation_exempt_regime_with_basis(owner_client, organisation):
    data = profile_data(organisation, vat_regime="exempt", vat_exemption="training")

    owner_client.post(PROFILE_URL, data)

    organisation.refresh_from_db()
    assert organisation.vat_regime == VatRegime.EXEMPT
    assert organisation.default_exemption() == "training"
    assert organisation.exemption_wording() == "Exonération de TVA, article 261-4-4° a du CGI"


@pytest.mark.django_db
def test_organisation_free_text_basis(owner_client, organisation):
    text = "Exonération de TVA, article 261-7-1° a du CGI"
    owner_client.post(
        PROFILE_URL, profile_data(organisation, vat_regime="exempt", vat_exemption="other", vat_exemption_text=text)
    )

    organisation.refresh_from_db()
    assert organisation.exemption_wording() == text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"vat_regime": "exempt"},
            "vat_exemption",
            "Vos opérations sont déclarées exonérées : choisissez le motif d'exonération (par exemple la formation "
            "professionnelle) ou « Autre motif » avec son texte.",
        ),
        (
            {"vat_regime": "exempt", "vat_exemption": "other"},
            "vat_exemption_text",
            "Saisissez la base légale de votre exonération, telle qu'elle doit figurer sur vos factures, par exemple "
            "« Exonération de TVA, article 261-7-1° a du CGI ».",
        ),
        (
            {"vat_regime": "exempt", "vat_exemption": "VATEX-EU-132"},
            "vat_exemption",
            "Sélectionnez un choix valide. VATEX-EU-132 n’en fait pas partie.",
        ),
    ],
)
def test_organisation_bad_exemption_is_refused(owner_client, organisation, changes, field, message):
    response = owner_client.post(PROFILE_URL, profile_data(organisation, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    organisation.refresh_from_db()
    assert organisation.vat_regime == VatRegime.NORMAL
