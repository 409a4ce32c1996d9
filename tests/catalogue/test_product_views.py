"""Catalogue: create and edit with French prices, deactivate, the JSON picker, isolation between organisations."""

from __future__ import annotations

import html
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.catalogue.models import Product, ProductKind

LIST_URL = "/catalogue/"
CREATE_URL = "/catalogue/nouveau/"
PICK_URL = "/catalogue/choisir/"


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def product_data(**changes) -> dict:
    data = {
        "name": "Maintenance mensuelle",
        "kind": "service",
        "description": "Mises à jour et sauvegardes.",
        "unit": "MON",
        "unit_price": "12,5",
        "vat_rate": "20.00",
    }
    data.update(changes)
    return data


def make_product(organisation, name: str, **fields) -> Product:
    defaults = {"unit_price": Decimal("10.0000")}
    defaults.update(fields)
    return Product.objects.create(organisation=organisation, name=name, **defaults)


def test_catalogue_url_names():
    assert reverse("catalogue:list") == LIST_URL
    assert reverse("catalogue:create") == CREATE_URL
    assert reverse("catalogue:pick") == PICK_URL
    assert reverse("catalogue:edit", args=[3]) == "/catalogue/3/modifier/"
    assert reverse("catalogue:deactivate", args=[3]) == "/catalogue/3/desactiver/"
    assert reverse("catalogue:reactivate", args=[3]) == "/catalogue/3/reactiver/"


# Create and edit


@pytest.mark.django_db
def test_create_with_decimal_comma(owner_client, owner, organisation):
    response = owner_client.post(CREATE_URL, product_data(), follow=True)

    product = Product.objects.get(name="Maintenance mensuelle")
    assert response.redirect_chain == [(LIST_URL, 302)]
    assert product.organisation == organisation
    assert product.unit_price == Decimal("12.5000")
    assert product.unit == "MON"
    assert product.vat_rate == Decimal("20.00")
    assert product.kind == ProductKind.SERVICE
    assert "L'article « Maintenance mensuelle » a été ajouté au catalogue." in page_text(response)
    assert AuditEntry.objects.get(action="product.created").user == owner


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"),
    [("0,0125", Decimal("0.0125")), ("1 234,5678", Decimal("1234.5678")), ("99.90", Decimal("99.9000"))],
)
def test_create_stores_exact_price(owner_client, typed, stored):
    owner_client.post(CREATE_URL, product_data(unit_price=typed))

    assert Product.objects.get(name="Maintenance mensuelle").unit_price == stored


@pytest.mark.django_db
def test_decimal_comma_accepted_for_english_browser(owner_client):
    owner_client.post(CREATE_URL, product_data(unit_price="12,5"), headers={"Accept-Language": "en"})

    assert Product.objects.get(name="Maintenance mensuelle").unit_price == Decimal("12.5000")


@pytest.mark.django_db
def test_price_with_five_decimals_rejected(owner_client):
    response = owner_client.post(CREATE_URL, product_data(unit_price="12,12345"))

    assert response.status_code == 200
    assert response.context["form"].errors["unit_price"] == [
        "« 12,12345 » a trop de chiffres après la virgule : 4 au plus."
    ]
    assert "L'article n'a pas été enregistré : corrigez les champs signalés ci-dessous." in page_text(response)
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_negative_price_rejected(owner_client):
    response = owner_client.post(CREATE_URL, product_data(unit_price="-5"))

    assert response.context["form"].errors["unit_price"] == ["Le prix unitaire ne peut pas être négatif."]


@pytest.mark.django_db
def test_unknown_vat_rate_rejected(owner_client):
    response = owner_client.post(CREATE_URL, product_data(vat_rate="19.60"))

    assert response.status_code == 200
    assert response.context["form"].errors["vat_rate"] == ["Sélectionnez un choix valide. 19.60 n’en fait pas partie."]


@pytest.mark.django_db
def test_goods_with_reduced_rate(owner_client):
    owner_client.post(CREATE_URL, product_data(name="Livre", kind="goods", unit="H87", vat_rate="5.50"))

    product = Product.objects.get(name="Livre")
    assert product.kind == ProductKind.GOODS
    assert product.vat_rate == Decimal("5.50")


@pytest.mark.django_db
def test_edit_form_shows_price_with_comma(owner_client, product):
    response = owner_client.get(f"/catalogue/{product.pk}/modifier/")

    assert response.status_code == 200
    assert 'value="65,00"' in response.content.decode()
    assert '<option value="HUR" selected>heure</option>' in response.content.decode()


@pytest.mark.django_db
def test_edit_updates_price(owner_client, product):
    data = product_data(name="Développement web", unit="HUR", unit_price="72,50")

    owner_client.post(f"/catalogue/{product.pk}/modifier/", data)

    product.refresh_from_db()
    assert product.unit_price == Decimal("72.5000")
    changes = AuditEntry.objects.get(action="product.updated").data["changes"]
    assert sorted(changes) == ["description", "unit_price"]
    assert changes["unit_price"] == ["65.0000", "72.50"]


@pytest.mark.django_db
def test_franchise_explains_vat_rate(owner_client, organisation):
    organisation.vat_regime = "franchise"
    organisation.save()

    response = owner_client.get(CREATE_URL)

    assert "Votre entreprise est en franchise en base de TVA" in page_text(response)


# List, deactivate, reactivate


@pytest.mark.django_db
def test_list_shows_french_prices(owner_client, organisation, product):
    make_product(organisation, "Livre", unit="H87", unit_price=Decimal("28.4360"), vat_rate=Decimal("5.50"))

    response = owner_client.get(LIST_URL)

    rows = response.context["rows"]
    assert [row["product"].name for row in rows] == ["Développement web", "Livre"]
    assert [row["price"] for row in rows] == ["65,00\u00a0€", "28,436\u00a0€"]
    assert [row["vat_rate"] for row in rows] == ["20\u202f%", "5,5\u202f%"]
    assert [row["unit"] for row in rows] == ["heure", "pièce"]


@pytest.mark.django_db
def test_list_search_by_name_or_description(owner_client, organisation, product):
    make_product(organisation, "Hébergement", description="Serveur et nom de domaine")

    response = owner_client.get(LIST_URL, {"q": "domaine"})

    assert [row["product"].name for row in response.context["rows"]] == ["Hébergement"]


@pytest.mark.django_db
def test_deactivate_hides_product(owner_client, product):
    response = owner_client.post(f"/catalogue/{product.pk}/desactiver/", follow=True)

    product.refresh_from_db()
    assert product.is_active is False
    assert response.context["rows"] == []
    assert (
        "L'article « Développement web » a été désactivé : il n'est plus proposé dans les factures. "
        "Les factures qui l'utilisent déjà ne changent pas."
    ) in page_text(response)
    assert AuditEntry.objects.get(action="product.deactivated").object_id == str(product.pk)


@pytest.mark.django_db
def test_deactivated_listed_in_own_tab(owner_client, product):
    owner_client.post(f"/catalogue/{product.pk}/desactiver/")

    response = owner_client.get(LIST_URL, {"inactive": "on"})

    assert [row["product"].name for row in response.context["rows"]] == ["Développement web"]


@pytest.mark.django_db
def test_reactivate_restores_product(owner_client, product):
    owner_client.post(f"/catalogue/{product.pk}/desactiver/")

    owner_client.post(f"/catalogue/{product.pk}/reactiver/")

    product.refresh_from_db()
    assert product.is_active is True
    assert AuditEntry.objects.filter(action="product.reactivated").count() == 1


@pytest.mark.django_db
def test_deactivate_needs_post(owner_client, product):
    response = owner_client.get(f"/catalogue/{product.pk}/desactiver/")

    product.refresh_from_db()
    assert response.status_code == 405
    assert product.is_active is True


# JSON picker for the invoice editor


@pytest.mark.django_db
def test_pick_returns_product_fields(owner_client, organisation, product):
    make_product(
        organisation,
        "Livre « Lumière »",
        kind=ProductKind.GOODS,
        unit="H87",
        unit_price=Decimal("28.4360"),
        vat_rate=Decimal("5.50"),
        description="Broché, 240 pages.",
    )

    response = owner_client.get(PICK_URL)

    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == [
        {
            "id": product.pk,
            "name": "Développement web",
            "description": "",
            "unit": "HUR",
            "unit_price": "65.00",
            "vat_rate": "20.00",
            "kind": "service",
        },
        {
            "id": Product.objects.get(name="Livre « Lumière »").pk,
            "name": "Livre « Lumière »",
            "description": "Broché, 240 pages.",
            "unit": "H87",
            "unit_price": "28.436",
            "vat_rate": "5.50",
            "kind": "goods",
        },
    ]


@pytest.mark.django_db
def test_pick_filters_by_query(owner_client, organisation, product):
    make_product(organisation, "Hébergement annuel")

    response = owner_client.get(PICK_URL, {"q": "web"})

    assert [item["name"] for item in json.loads(response.content)] == ["Développement web"]


@pytest.mark.django_db
def test_pick_leaves_out_inactive_products(owner_client, organisation, product):
    make_product(organisation, "Ancien forfait", is_active=False)

    response = owner_client.get(PICK_URL)

    assert [item["name"] for item in json.loads(response.content)] == ["Développement web"]


@pytest.mark.django_db
def test_pick_returns_at_most_20(owner_client, organisation):
    for index in range(25):
        make_product(organisation, f"Article {index:02d}")

    response = owner_client.get(PICK_URL)

    assert len(json.loads(response.content)) == 20


# Isolation and login


@pytest.mark.django_db
def test_outsider_gets_404_on_other_product(outsider_client, product):
    assert outsider_client.get(f"/catalogue/{product.pk}/modifier/").status_code == 404
    assert outsider_client.post(f"/catalogue/{product.pk}/modifier/", product_data()).status_code == 404
    assert outsider_client.post(f"/catalogue/{product.pk}/desactiver/").status_code == 404
    assert outsider_client.post(f"/catalogue/{product.pk}/reactiver/").status_code == 404

    product.refresh_from_db()
    assert product.name == "Développement web"
    assert product.is_active is True


@pytest.mark.django_db
def test_outsider_sees_none_of_other_products(outsider_client, product):
    assert json.loads(outsider_client.get(PICK_URL, {"q": "web"}).content) == []
    assert outsider_client.get(LIST_URL).context["rows"] == []


@pytest.mark.django_db
def test_anonymous_redirected_to_login(client, product):
    urls = [
        LIST_URL,
        CREATE_URL,
        PICK_URL,
        f"/catalogue/{product.pk}/modifier/",
        f"/catalogue/{product.pk}/desactiver/",
        f"/catalogue/{product.pk}/reactiver/",
    ]
    for url in urls:
        response = client.post(url) if "activer" in url else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/compte/connexion/?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "stored"), [("8.50", Decimal("8.50")), ("13.00", Decimal("13.00"))])
def test_create_with_overseas_or_corsican_rate(owner_client, organisation, typed, stored):
    owner_client.post(CREATE_URL, product_data(vat_rate=typed))

    product = Product.objects.get(name="Maintenance mensuelle")
    assert product.vat_rate == stored
    assert owner_client.get(PICK_URL).json()[0]["vat_rate"] == str(stored)
