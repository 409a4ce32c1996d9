"""Billing contacts: who receives a customer's documents, and the migration that creates the first ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ardoise.customers.contacts import billing_recipients, clean_address_list
from ardoise.customers.models import Contact, ContactRole, Customer


@pytest.mark.django_db
def test_recipients_fall_back_to_customer_email(customer):
    assert billing_recipients(customer) == (["compta@boulangerie-martin.fr"], [], [])


@pytest.mark.django_db
def test_recipients_are_billing_contacts_only(customer):
    Contact.objects.create(customer=customer, name="Julie Martin", email="julie@boulangerie-martin.fr")
    Contact.objects.create(customer=customer, name="Paul", email="paul@boulangerie-martin.fr", role=ContactRole.OTHER)
    Contact.objects.create(customer=customer, email="factures@boulangerie-martin.fr")

    to, cc, bcc = billing_recipients(customer)

    assert to == ["julie@boulangerie-martin.fr", "factures@boulangerie-martin.fr"]
    assert cc == []
    assert bcc == []


@pytest.mark.django_db
def test_recipients_carry_default_copies_without_repeats(customer):
    customer.email_cc = "gerant@boulangerie-martin.fr; COMPTA@boulangerie-martin.fr"
    customer.email_bcc = "archive@atelier-dupont.fr, gerant@boulangerie-martin.fr"

    recipients = billing_recipients(customer)

    assert recipients.to == ["compta@boulangerie-martin.fr"]
    assert recipients.cc == ["gerant@boulangerie-martin.fr"]
    assert recipients.bcc == ["archive@atelier-dupont.fr"]


@pytest.mark.django_db
def test_no_recipient_without_contact_or_email(customer):
    customer.email = ""
    Contact.objects.create(customer=customer, email="paul@boulangerie-martin.fr", role=ContactRole.OTHER)

    assert billing_recipients(customer).to == []


def test_address_list_names_invalid_addresses():
    with pytest.raises(ValidationError) as caught:
        clean_address_list("a@example.fr, pas-une-adresse, b@@example.fr")

    assert caught.value.messages == [
        "Adresse e-mail invalide : pas-une-adresse, b@@example.fr. Séparez les adresses par des virgules."
    ]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture
def latest_schema_afterwards():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_makes_email_first_billing_contact(organisation, latest_schema_afterwards):
    with_email = Customer.objects.create(organisation=organisation, name="Avec", email="compta@avec.fr")
    without_email = Customer.objects.create(organisation=organisation, name="Sans")
    migrate([("customers", "0002_vat_situation")])

    migrate([("customers", "0003_contacts")])

    contacts = list(Contact.objects.values_list("customer_id", "email", "role"))
    assert contacts == [(with_email.pk, "compta@avec.fr", "billing")]
    assert not Contact.objects.filter(customer=without_email).exists()


@pytest.mark.django_db(transaction=True)
def test_migration_reversed_keeps_contact_address(organisation, latest_schema_afterwards):
    customer = Customer.objects.create(organisation=organisation, name="Sans")
    Contact.objects.create(customer=customer, email="julie@sans.fr")

    migrate([("customers", "0002_vat_situation")])

    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM customers_customer WHERE id = %s", [customer.pk])
        assert cursor.fetchone() == ("julie@sans.fr",)
