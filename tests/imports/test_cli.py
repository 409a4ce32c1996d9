"""``ardoise import``: the same checks as the page, French messages, nothing saved unless asked."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer
from tests.imports.test_import import CUSTOMERS_CSV

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("import", *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


@pytest.fixture
def customers_file(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(CUSTOMERS_CSV)
    return path


def test_dry_run_lists_errors(organisation, customer, customers_file):
    output = run("customers", str(customers_file), "--dry-run")

    assert "Ligne 5 : Doublon de la ligne 4 (même SIREN « 732829320 ») : ligne ignorée." in output
    assert output.splitlines()[-1] == "6 ligne(s) lue(s) : 3 valide(s), 3 en erreur."
    assert Customer.objects.count() == 1


def test_errors_stop_import_without_option(organisation, customer, customers_file):
    with pytest.raises(CommandError, match=r"Rien n'a été importé\. 3 lignes comportent une erreur"):
        run("customers", str(customers_file))

    assert Customer.objects.count() == 1


def test_only_valid_imports_the_rest(organisation, customer, customers_file):
    output = run("customers", str(customers_file), "--only-valid")

    assert output.splitlines()[-1] == "3 fiche(s) importée(s)."
    assert Customer.objects.count() == 4


def test_map_by_number_and_title(organisation, tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text("A;B;C\nConseil;650;10\n", encoding="utf-8")

    run("products", str(path), "--map", "name=1", "--map", "unit_price=B", "--map", "vat_rate=3")

    product = Product.objects.get()
    assert product.name == "Conseil"
    assert str(product.unit_price) == "650.0000"
    assert str(product.vat_rate) == "10.00"


def test_missing_name_column_is_explained(organisation, tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text("A;B\nConseil;650\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run("products", str(path))

    assert "Aucune colonne pour : Désignation, Prix unitaire HT." in str(error.value)
    assert error.value.returncode == 2


@pytest.mark.parametrize(
    ("option", "message"),
    [("nom=1", "écrivez CHAMP=COLONNE avec un champ parmi"), ("name=Z", "le fichier n'a pas de colonne « Z »")],
)
def test_bad_map_option_is_explained(organisation, customers_file, option, message):
    with pytest.raises(CommandError, match=message):
        run("customers", str(customers_file), "--map", option)
