"""Customers: search, create, edit, detail with invoices, delete, and isolation between organisations."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.customers.models import Customer, CustomerKind
from ardoise.invoicing.models import Invoice

LIST_URL = "/clients/"
CREATE_URL = "/clients/nouveau/"


def page_text(response) -> str:
    """Return the page with HTML entities decoded, as the user reads it."""
    return html.unescape(response.content.decode())


def customer_data(**changes) -> dict:
    data = {
        "kind": "company",
        "name": "Menuiserie Roux SARL",
        "siren": "",
        "siret": "",
        "vat_number": "",
        "email": "compta@menuiserie-roux.fr",
        "phone": "",
        "address_line1": "5 rue Victor Hugo",
        "address_line2": "",
        "postcode": "69100",
        "city": "Villeurbanne",
        "country_code": "FR",
        "delivery_address_line1": "",
        "delivery_address_line2": "",
        "delivery_postcode": "",
        "delivery_city": "",
        "delivery_country_code": "",
        "payment_terms_days": "",
        "notes": "",
    }
    data.update(changes)
    return data


def make_customer(organisation, name: str, **fields) -> Customer:
    return Customer.objects.create(organisation=organisation, name=name, **fields)


def names_listed(response) -> list[str]:
    return [customer.name for customer in response.context["page"].object_list]


def test_customer_url_names():
    assert reverse("customers:list") == LIST_URL
    assert reverse("customers:create") == CREATE_URL
    assert reverse("customers:detail", args=[7]) == "/clients/7/"
    assert reverse("customers:edit", args=[7]) == "/clients/7/modifier/"
    assert reverse("customers:delete", args=[7]) == "/clients/7/supprimer/"


# List and search


@pytest.mark.django_db
def test_list_shows_own_customers_only(owner_client, customer, other_organisation):
    make_customer(other_organisation, "Client du concurrent")

    response = owner_client.get(LIST_URL)

    assert response.status_code == 200
    assert names_listed(response) == ["Boulangerie Martin SAS"]
    assert "Client du concurrent" not in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["boulangerie", "552 081 317", "55208131766522", "compta@boulangerie", "LYON"],
    ids=["name", "siren-with-spaces", "siret", "email", "city"],
)
def test_search_finds_customer(owner_client, customer, organisation, query):
    make_customer(organisation, "Garage Lefèvre", city="Grenoble", email="garage@lefevre.fr", siren="732829320")

    response = owner_client.get(LIST_URL, {"q": query})

    assert names_listed(response) == ["Boulangerie Martin SAS"]


@pytest.mark.django_db
def test_search_without_match_says_so(owner_client, customer):
    response = owner_client.get(LIST_URL, {"q": "introuvable"})

    assert names_listed(response) == []
    assert "Aucun client ne correspond à « introuvable »." in page_text(response)


@pytest.mark.django_db
def test_kind_filter_keeps_individuals(owner_client, customer, organisation):
    make_customer(organisation, "Claire Petit", kind=CustomerKind.INDIVIDUAL)

    response = owner_client.get(LIST_URL, {"kind": "individual"})

    assert names_listed(response) == ["Claire Petit"]


@pytest.mark.django_db
def test_list_paginated_by_25(owner_client, organisation):
    for index in range(30):
        make_customer(organisation, f"Client {index:02d}")

    first = owner_client.get(LIST_URL)
    second = owner_client.get(LIST_URL, {"page": "2"})

    assert len(names_listed(first)) == 25
    assert names_listed(second) == ["Client 25", "Client 26", "Client 27", "Client 28", "Client 29"]
    assert "Page 2 sur 2" in page_text(second)


@pytest.mark.django_db
def test_page_links_keep_search(owner_client, organisation):
    for index in range(30):
        make_customer(organisation, f"Client {index:02d}")

    response = owner_client.get(LIST_URL, {"q": "client"})

    assert 'href="?q=client&amp;page=2"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_bad_page_number_shows_a_page(owner_client, customer, page):
    response = owner_client.get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert names_listed(response) == ["Boulangerie Martin SAS"]


@pytest.mark.django_db
def test_htmx_search_returns_results_only(owner_client, customer):
    response = owner_client.get(LIST_URL, {"q": "martin"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="customer-results">')
    assert "<html" not in content
    assert "Boulangerie Martin SAS" in content


# Create


@pytest.mark.django_db
def test_create_company_with_identifiers(owner_client, owner, organisation):
    data = customer_data(siren="732 829 320", siret="73282932000074", vat_number="fr44732829320")

    response = owner_client.post(CREATE_URL, data, follow=True)

    customer = Customer.objects.get(name="Menuiserie Roux SARL")
    assert response.redirect_chain == [(f"/clients/{customer.pk}/", 302)]
    assert customer.organisation == organisation
    assert customer.siren == "732829320"
    assert customer.siret == "73282932000074"
    assert customer.vat_number == "FR44732829320"
    assert "Le client « Menuiserie Roux SARL » a été créé." in page_text(response)


@pytest.mark.django_db
def test_create_is_audited(owner_client, owner, organisation):
    owner_client.post(CREATE_URL, customer_data(siren="732829320"))

    entry = AuditEntry.objects.get(action="customer.created")
    assert entry.organisation == organisation
    assert entry.user == owner
    assert entry.object_repr == "Menuiserie Roux SARL"


@pytest.mark.django_db
def test_siren_taken_from_siret(owner_client):
    owner_client.post(CREATE_URL, customer_data(siret="732 829 320 00074"))

    assert Customer.objects.get(name="Menuiserie Roux SARL").siren == "732829320"


@pytest.mark.django_db
def test_siren_taken_from_french_vat_number(owner_client):
    owner_client.post(CREATE_URL, customer_data(vat_number="FR44732829320"))

    assert Customer.objects.get(name="Menuiserie Roux SARL").siren == "732829320"


@pytest.mark.django_db
def test_french_company_without_siren_saved_with_warning(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(), follow=True)

    assert Customer.objects.filter(name="Menuiserie Roux SARL", siren="").exists()
    assert (
        "Aucun SIREN n'est renseigné pour « Menuiserie Roux SARL ». Le SIREN du client est une mention "
        "obligatoire des factures entre entreprises françaises : ajoutez-le avant d'émettre une facture."
    ) in page_text(response)


@pytest.mark.django_db
def test_individual_without_siren_gets_no_warning(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(kind="individual", name="Claire Petit"), follow=True)

    assert Customer.objects.get(name="Claire Petit").kind == CustomerKind.INDIVIDUAL
    assert "Aucun SIREN" not in page_text(response)


@pytest.mark.django_db
def test_foreign_company_without_siren_gets_no_warning(owner_client):
    data = customer_data(name="Schreinerei Braun GmbH", country_code="DE", vat_number="DE136695976")

    response = owner_client.post(CREATE_URL, data, follow=True)

    assert Customer.objects.get(name="Schreinerei Braun GmbH").vat_number == "DE136695976"
    assert "Aucun SIREN" not in page_text(response)


@pytest.mark.django_db
def test_missing_address_warned(owner_client):
    data = customer_data(address_line1="", postcode="", city="", siren="732829320")

    response = owner_client.post(CREATE_URL, data, follow=True)

    assert (
        "L'adresse de facturation de « Menuiserie Roux SARL » est vide. Elle est obligatoire sur une facture : "
        "complétez-la avant d'émettre une facture."
    ) in page_text(response)


@pytest.mark.django_db
def test_duplicate_siren_warned(owner_client, customer):
    data = customer_data(name="Boulangerie Martin – Croix-Rousse", siren="552 081 317")

    response = owner_client.post(CREATE_URL, data, follow=True)

    assert Customer.objects.filter(siren="552081317").count() == 2
    assert "Le client « Boulangerie Martin SAS » a déjà ce SIREN." in page_text(response)


@pytest.mark.django_db
def test_siren_of_other_organisation_not_warned(owner_client, other_organisation):
    make_customer(other_organisation, "Client du concurrent", siren="552081317")

    response = owner_client.post(CREATE_URL, customer_data(siren="552081317"), follow=True)

    assert "a déjà ce SIREN" not in page_text(response)
    assert "Client du concurrent" not in page_text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["postcode", "delivery_postcode"])
def test_french_postcode_needs_five_digits(owner_client, field):
    delivery = {"delivery_address_line1": "2 rue du Port", "delivery_city": "Lyon", "delivery_postcode": "69002"}

    response = owner_client.post(CREATE_URL, customer_data(**{**delivery, field: "6900"}))

    assert response.context["form"].errors[field] == [
        "Le code postal « 6900 » est invalide : un code postal français compte 5 chiffres, par exemple 69003. "
        "Pour une adresse à l'étranger, choisissez d'abord le pays."
    ]
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_postcode_stored_without_spaces(owner_client):
    owner_client.post(CREATE_URL, customer_data(postcode="69 100"))

    assert Customer.objects.get().postcode == "69100"


@pytest.mark.django_db
def test_foreign_postcode_not_checked(owner_client):
    data = customer_data(name="Schreinerei Braun GmbH", country_code="DE", postcode="1010", vat_number="DE136695976")

    owner_client.post(CREATE_URL, data)

    assert Customer.objects.get().postcode == "1010"


@pytest.mark.django_db
def test_invalid_siren_rerenders_form(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(siren="123456789"))

    assert response.status_code == 200
    assert response.context["form"].errors["siren"] == [
        "Le SIREN « 123456789 » est invalide : sa clé de contrôle ne correspond pas, un chiffre est "
        "probablement erroné. Vérifiez-le sur l'extrait Kbis ou sur annuaire-entreprises.data.gouv.fr."
    ]
    assert "Le client n'a pas été enregistré : corrigez les champs signalés ci-dessous." in page_text(response)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_vat_number_of_other_siren_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(siren="732829320", vat_number="FR96552100554"))

    assert response.context["form"].errors["vat_number"] == [
        "Le numéro de TVA « FR96552100554 » ne correspond pas au SIREN « 732829320 » : un numéro de TVA "
        "français se termine par les 9 chiffres du SIREN. Corrigez l'un des deux numéros."
    ]


SWISS_ADDRESS = {"postcode": "1003", "city": "Lausanne", "country_code": "CH"}


@pytest.mark.django_db
def test_swiss_vat_number_stored_compact(owner_client):
    owner_client.post(CREATE_URL, customer_data(vat_number="CHE-116.281.710 TVA", **SWISS_ADDRESS))

    assert Customer.objects.get().vat_number == "CHE116281710TVA"


@pytest.mark.django_db
def test_british_vat_number_stored_with_prefix(owner_client):
    address = {"postcode": "SW1A 1AA", "city": "London", "country_code": "GB"}

    owner_client.post(CREATE_URL, customer_data(vat_number="GB 980 7806 84", **address))

    assert Customer.objects.get().vat_number == "GB980780684"


@pytest.mark.django_db
def test_swiss_vat_number_with_wrong_key_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(vat_number="CHE-116.281.711 TVA", **SWISS_ADDRESS))

    assert response.context["form"].errors["vat_number"] == [
        "Le numéro de TVA « CHE-116.281.711 TVA » est invalide : il ne respecte pas le format ou la clé de "
        "contrôle des identifiants fiscaux commençant par « CH ». Vérifiez-le auprès du client."
    ]
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_foreign_vat_number_of_other_country_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(vat_number="GB980780684", **SWISS_ADDRESS))

    error = response.context["form"].errors["vat_number"][0]
    assert error.startswith("Le numéro de TVA « GB980780684 » doit commencer par le code du pays du client, « CH »")


@pytest.mark.django_db
def test_swiss_vat_number_rejected_for_french_customer(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(vat_number="CHE-116.281.710 TVA"))

    assert "qui n'est pas le code d'un pays de l'Union européenne" in response.context["form"].errors["vat_number"][0]


@pytest.mark.django_db
def test_payment_terms_over_60_days_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(payment_terms_days="75"))

    assert response.context["form"].errors["payment_terms_days"] == [
        "Un délai de paiement de 75 jours dépasse le maximum légal de 60 jours après la date "
        "d'émission de la facture (article L441-10 du Code de commerce). Indiquez 60 jours au plus."
    ]


@pytest.mark.django_db
def test_partial_delivery_address_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(delivery_address_line1="Entrepôt, 2 rue du Port"))

    errors = response.context["form"].errors
    expected = ["Complétez l'adresse de livraison (adresse, code postal et ville) ou videz-la entièrement."]
    assert errors["delivery_postcode"] == expected
    assert errors["delivery_city"] == expected
    assert "delivery_address_line1" not in errors


@pytest.mark.django_db
def test_country_defaults_to_france(owner_client):
    response = owner_client.get(CREATE_URL)

    assert '<option value="FR" selected>France</option>' in response.content.decode()


@pytest.mark.django_db
def test_unknown_country_rejected(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(country_code="ZZ"))

    assert response.status_code == 200
    assert response.context["form"].errors["country_code"] == ["Sélectionnez un choix valide. ZZ n’en fait pas partie."]


# Edit


@pytest.mark.django_db
def test_edit_updates_customer(owner_client, customer):
    data = customer_data(name="Boulangerie Martin", siren="552081317", payment_terms_days="45")

    response = owner_client.post(f"/clients/{customer.pk}/modifier/", data, follow=True)

    customer.refresh_from_db()
    assert customer.name == "Boulangerie Martin"
    assert customer.payment_terms_days == 45
    assert "Les modifications du client « Boulangerie Martin » ont été enregistrées." in page_text(response)
    assert AuditEntry.objects.get(action="customer.updated").object_id == str(customer.pk)


@pytest.mark.django_db
def test_edit_form_shows_current_values(owner_client, customer):
    response = owner_client.get(f"/clients/{customer.pk}/modifier/")

    assert response.status_code == 200
    assert 'value="Boulangerie Martin SAS"' in response.content.decode()
    assert 'value="FR03552081317"' in response.content.decode()


@pytest.mark.django_db
def test_edit_keeps_code_missing_from_country_list(owner_client, customer):
    Customer.objects.filter(pk=customer.pk).update(country_code="NZ")

    response = owner_client.get(f"/clients/{customer.pk}/modifier/")

    assert '<option value="NZ" selected>NZ</option>' in response.content.decode()


# Detail


@pytest.mark.django_db
def test_detail_shows_customer_data(owner_client, customer):
    response = owner_client.get(f"/clients/{customer.pk}/")

    text = page_text(response)
    assert response.status_code == 200
    assert "Boulangerie Martin SAS" in text
    assert "55208131766522" in text
    assert "3 place Bellecour" in text
    assert "à 30 jours" in text
    assert "Identique à l'adresse de facturation." in text
    assert "Aucune facture pour ce client." in text


@pytest.mark.django_db
def test_detail_links_new_invoice_for_customer(owner_client, customer):
    response = owner_client.get(f"/clients/{customer.pk}/")

    assert f'href="/factures/nouvelle/?client={customer.pk}"' in response.content.decode()


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_detail_lists_invoices_with_state(owner_client, organisation, customer):
    Invoice.objects.create(organisation=organisation, customer=customer, total_with_vat=Decimal("522.00"))
    Invoice.objects.create(
        organisation=organisation,
        customer=customer,
        status="issued",
        number="F-2026-0001",
        issue_date=datetime.date(2026, 10, 1),
        due_date=datetime.date(2026, 10, 31),
        total_with_vat=Decimal("1848.00"),
        amount_due=Decimal("1848.00"),
    )

    response = owner_client.get(f"/clients/{customer.pk}/")

    rows = response.context["invoice_rows"]
    assert [row["invoice"].number or "Brouillon" for row in rows] == ["Brouillon", "F-2026-0001"]
    assert [row["date"] for row in rows] == ["", "01/10/2026"]
    assert [row["total"] for row in rows] == ["522,00\u00a0€", "1\u202f848,00\u00a0€"]
    assert [row["state"].label for row in rows] == ["Brouillon", "En retard"]
    assert '<span class="badge overdue">En retard</span>' in page_text(response)


@pytest.mark.django_db
def test_detail_warns_about_missing_siren(owner_client, organisation):
    company = make_customer(
        organisation, "Menuiserie Roux SARL", city="Lyon", address_line1="1 rue A", postcode="69001"
    )

    response = owner_client.get(f"/clients/{company.pk}/")

    assert "Aucun SIREN n'est renseigné pour « Menuiserie Roux SARL »." in page_text(response)


# Delete


@pytest.mark.django_db
def test_delete_asks_confirmation(owner_client, customer):
    response = owner_client.get(f"/clients/{customer.pk}/supprimer/")

    assert response.status_code == 200
    assert "Le client « Boulangerie Martin SAS » sera supprimé définitivement." in page_text(response)
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db
def test_delete_removes_customer_without_invoices(owner_client, customer):
    response = owner_client.post(f"/clients/{customer.pk}/supprimer/", follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert AuditEntry.objects.get(action="customer.deleted").object_repr == "Boulangerie Martin SAS"
    assert "Le client « Boulangerie Martin SAS » a été supprimé." in page_text(response)


@pytest.mark.django_db
def test_delete_refused_when_customer_has_invoices(owner_client, organisation, customer):
    Invoice.objects.create(organisation=organisation, customer=customer)

    response = owner_client.post(f"/clients/{customer.pk}/supprimer/", follow=True)

    assert Customer.objects.filter(pk=customer.pk).exists()
    assert (
        "Le client « Boulangerie Martin SAS » ne peut pas être supprimé : il a des factures, qui doivent être "
        "conservées. Vous pouvez le garder sans lui facturer de nouvelles prestations."
    ) in page_text(response)


# Isolation and login


def customer_urls(pk: int) -> list[str]:
    return [f"/clients/{pk}/", f"/clients/{pk}/modifier/", f"/clients/{pk}/supprimer/"]


@pytest.mark.django_db
def test_outsider_gets_404_on_other_customer(outsider_client, customer):
    for url in customer_urls(customer.pk):
        assert outsider_client.get(url).status_code == 404, url
    for url in customer_urls(customer.pk)[1:]:
        assert outsider_client.post(url, customer_data(name="Volé")).status_code == 404, url

    customer.refresh_from_db()
    assert customer.name == "Boulangerie Martin SAS"


@pytest.mark.django_db
def test_outsider_search_finds_nothing_of_others(outsider_client, customer):
    response = outsider_client.get(LIST_URL, {"q": "martin"})

    assert names_listed(response) == []


@pytest.mark.django_db
def test_member_manages_customers(client, member, customer):
    client.force_login(member)

    response = client.post(f"/clients/{customer.pk}/modifier/", customer_data(name="Boulangerie Martin"))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Boulangerie Martin"


@pytest.mark.django_db
def test_anonymous_redirected_to_login(client, customer):
    for url in [LIST_URL, CREATE_URL, *customer_urls(customer.pk)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/compte/connexion/?next={url}"
