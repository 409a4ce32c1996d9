"""Contacts and sending options in the customer form and on the customer page."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.customers.models import Contact, ContactRole, Customer

from .test_customer_views import CREATE_URL, customer_data

pytestmark = pytest.mark.django_db


def contact_rows(*rows, initial=0):
    data = {"contacts-TOTAL_FORMS": str(len(rows)), "contacts-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data["contacts-%d-%s" % (index, name)] = value
    return data


def test_create_with_contacts_and_options(owner_client):
    data = customer_data(
        email_cc="gerant@menuiserie-roux.fr", email_bcc="archives@atelier-dupont.fr", auto_send_invoices="on"
    )
    data.update(
        contact_rows(
            {"name": "Léa Roux", "email": "lea@menuiserie-roux.fr", "role": "billing"},
            {"name": "Atelier", "email": "atelier@menuiserie-roux.fr", "role": "other"},
        )
    )

    response = owner_client.post(CREATE_URL, data)

    customer = Customer.objects.get(name="Menuiserie Roux SARL")
    assert response.status_code == 302
    assert list(customer.contacts.values_list("name", "email", "role")) == [
        ("Léa Roux", "lea@menuiserie-roux.fr", "billing"),
        ("Atelier", "atelier@menuiserie-roux.fr", "other"),
    ]
    assert customer.auto_send_invoices is True
    assert customer.email_cc == "gerant@menuiserie-roux.fr"
    assert customer.email_bcc == "archives@atelier-dupont.fr"
    assert AuditEntry.objects.get(action="customer.created").data["contacts"] == [
        "Léa Roux <lea@menuiserie-roux.fr> (Facturation)",
        "Atelier <atelier@menuiserie-roux.fr> (Autre)",
    ]


def test_invalid_contact_email_keeps_typed_rows(owner_client):
    data = customer_data()
    data.update(contact_rows({"name": "Léa Roux", "email": "lea@", "role": "billing"}))

    response = owner_client.post(CREATE_URL, data)

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "L'adresse e-mail « lea@ » n'est pas valide" in text
    assert 'value="Léa Roux"' in text
    assert not Customer.objects.exists()


def test_invalid_copy_address_named(owner_client):
    response = owner_client.post(CREATE_URL, customer_data(email_cc="ok@exemple.fr, faux@"))

    assert "Adresse e-mail invalide : faux@. Séparez les adresses par des virgules." in html.unescape(
        response.content.decode()
    )
    assert not Customer.objects.exists()


def test_edit_deletes_and_adds_contacts(owner_client, customer):
    kept = Contact.objects.create(customer=customer, name="Julie", email="julie@boulangerie-martin.fr")
    removed = Contact.objects.create(customer=customer, email="ancien@boulangerie-martin.fr")
    data = customer_data(name=customer.name, email=customer.email)
    data.update(
        contact_rows(
            {"id": str(kept.pk), "name": "Julie Martin", "email": kept.email, "role": "billing"},
            {"id": str(removed.pk), "name": "", "email": removed.email, "role": "billing", "DELETE": "on"},
            {"name": "", "email": "paul@boulangerie-martin.fr", "role": "other"},
            initial=2,
        )
    )

    response = owner_client.post(reverse("customers:edit", args=[customer.pk]), data)

    assert response.status_code == 302
    assert list(customer.contacts.values_list("name", "email", "role")) == [
        ("Julie Martin", "julie@boulangerie-martin.fr", "billing"),
        ("", "paul@boulangerie-martin.fr", ContactRole.OTHER),
    ]
    assert "contacts" in AuditEntry.objects.get(action="customer.updated").data


def test_edit_cannot_touch_other_customer_contact(owner_client, customer, other_organisation):
    other = Customer.objects.create(organisation=other_organisation, name="Autre")
    foreign = Contact.objects.create(customer=other, email="secret@autre.fr")
    data = customer_data(name=customer.name)
    data.update(
        contact_rows({"id": str(foreign.pk), "name": "", "email": "vol@exemple.fr", "role": "billing"}, initial=1)
    )

    owner_client.post(reverse("customers:edit", args=[customer.pk]), data)

    foreign.refresh_from_db()
    assert foreign.email == "secret@autre.fr"
    assert foreign.customer == other


def test_add_contact_row_increments_count(owner_client):
    response = owner_client.get(reverse("customers:contact_add"), {"contacts-TOTAL_FORMS": "2"})

    text = response.content.decode()
    assert 'name="contacts-2-email"' in text
    assert 'name="contacts-2-DELETE"' in text
    assert 'id="id_contacts-TOTAL_FORMS"' in text
    assert 'value="3"' in text


def test_detail_shows_contacts_and_recipients(owner_client, customer):
    Contact.objects.create(customer=customer, name="Julie Martin", email="julie@boulangerie-martin.fr")
    customer.email_cc = "gerant@boulangerie-martin.fr"
    customer.save()

    text = html.unescape(owner_client.get(customer.get_absolute_url()).content.decode())

    assert "Julie Martin" in text
    assert "Documents envoyés à" in text
    assert "julie@boulangerie-martin.fr" in text
    assert "gerant@boulangerie-martin.fr" in text
