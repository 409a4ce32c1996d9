"""Customer and product imports from messy real-world files: Latin-1, trailing spaces, duplicates, bad values."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from ardoise.audit.models import AuditEntry
from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer, CustomerKind
from ardoise.imports.services import ImportRejected, analyse, import_rows
from ardoise.imports.tables import MAX_ROWS, TableFileError, read_table
from ardoise.imports.targets import CUSTOMERS, PRODUCTS, guess_mapping

pytestmark = pytest.mark.django_db

# As an old invoicing program exports it: Windows-1252, semicolons, padded cells, a blank line.
CUSTOMERS_CSV = (
    "Raison sociale;SIREN;E-mail;Adresse;CP;Ville;Pays;Type\r\n"
    "Épicerie Française  ;552100554; contact@epicerie.fr ;3 place Bellecour;69002;Lyon;France;Société\r\n"
    "\r\n"
    "Cabinet Durand;732829320;compta@durand.fr;8 quai Saint-Antoine;69002;Lyon;FR;\r\n"
    "Cabinet Durand (bis);732829320;autre@durand.fr;8 quai Saint-Antoine;69002;Lyon;FR;\r\n"
    "Société Erronée;123456789;erreur@example.fr;1 rue;75001;Paris;France;\r\n"
    "Claire Petit;;claire.petit@exemple.fr;27 avenue Jean Jaurès;69007;Lyon;France;Particulier\r\n"
    "Boulangerie Martin SAS;552081317;compta@boulangerie.fr;1 rue;69002;Lyon;France;\r\n"
).encode("cp1252")


def analysis_of(organisation, data, target=CUSTOMERS, name="clients.csv"):
    table = read_table(data, name)
    return analyse(organisation, target, table, guess_mapping(target, table.header)), table


def test_guess_mapping_reads_french_titles(organisation):
    table = read_table(CUSTOMERS_CSV, "clients.csv")

    mapping = guess_mapping(CUSTOMERS, table.header)

    assert mapping["name"] == 0
    assert mapping["siren"] == 1
    assert mapping["email"] == 2
    assert mapping["postcode"] == 4
    assert mapping["country_code"] == 6
    assert mapping["kind"] == 7
    assert mapping["phone"] is None


def test_analysis_flags_each_bad_line(organisation, customer):
    analysis, _table = analysis_of(organisation, CUSTOMERS_CSV)
    errors = {row.line: " ".join(row.errors) for row in analysis.invalid}

    assert len(analysis.rows) == 6
    assert [row.line for row in analysis.valid] == [2, 4, 7]
    assert errors[5] == "Doublon de la ligne 4 (même SIREN « 732829320 ») : ligne ignorée."
    assert errors[6].startswith("SIREN « 123456789 » : ")
    assert errors[8] == ("SIREN « 552081317 » déjà présent dans Ardoise (« Boulangerie Martin SAS ») : ligne ignorée.")


def test_import_refuses_errors_without_consent(organisation, customer):
    table = read_table(CUSTOMERS_CSV, "clients.csv")

    with pytest.raises(ImportRejected, match="3 lignes comportent une erreur"):
        import_rows(
            organisation, CUSTOMERS, table, guess_mapping(CUSTOMERS, table.header), only_valid=False, filename="c.csv"
        )

    assert Customer.objects.filter(organisation=organisation).count() == 1


def test_import_valid_lines_keeps_accents_and_trims(organisation, customer):
    table = read_table(CUSTOMERS_CSV, "clients.csv")

    created = import_rows(
        organisation, CUSTOMERS, table, guess_mapping(CUSTOMERS, table.header), only_valid=True, filename="c.csv"
    )

    epicerie = Customer.objects.get(organisation=organisation, siren="552100554")
    petit = Customer.objects.get(organisation=organisation, name="Claire Petit")
    assert created == 3
    assert epicerie.name == "Épicerie Française"
    assert epicerie.email == "contact@epicerie.fr"
    assert epicerie.country_code == "FR"
    assert epicerie.kind == CustomerKind.COMPANY
    assert petit.kind == CustomerKind.INDIVIDUAL
    assert AuditEntry.objects.get(action="customers.imported").data == {"file": "c.csv", "created": 3, "skipped": 3}


def test_products_from_xlsx_with_typed_numbers(organisation):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Désignation", "Prix unitaire HT", "TVA", "Unité", "Nature"])
    sheet.append(["Développement web", 65, 0.2, "heure", "Prestation"])
    sheet.append(["Livre « Lumière »", 28.436, "5,5 %", "pièce", "Marchandise"])
    sheet.append(["Forfait", "1 234,50", 20, "forfait", ""])
    sheet.append(["Prix négatif", -3, 20, "", ""])
    sheet.append(["Taux inconnu", 10, 7, "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)

    analysis, _table = analysis_of(organisation, buffer.getvalue(), PRODUCTS, "articles.xlsx")
    errors = [" ".join(row.errors) for row in analysis.invalid]

    assert [row.values["name"] for row in analysis.valid] == ["Développement web", "Livre « Lumière »", "Forfait"]
    assert errors[0] == "Prix unitaire HT « -3 » : Le prix unitaire ne peut pas être négatif."
    assert errors[1].startswith("Taux de TVA « 7 » : ")
    forms = [row.form.cleaned_data for row in analysis.valid]
    assert [form["unit_price"] for form in forms] == [Decimal("65"), Decimal("28.436"), Decimal("1234.50")]
    assert [form["vat_rate"] for form in forms] == [Decimal("20.00"), Decimal("5.50"), Decimal("20.00")]
    assert [form["unit"] for form in forms] == ["HUR", "H87", "LS"]
    assert [form["kind"] for form in forms] == ["service", "goods", "service"]


def test_products_import_saves_in_organisation(organisation, other_organisation):
    data = b"Nom,Prix\nConseil,650\n"
    table = read_table(data, "articles.csv")

    import_rows(
        organisation, PRODUCTS, table, guess_mapping(PRODUCTS, table.header), only_valid=False, filename="a.csv"
    )

    assert Product.objects.get().organisation == organisation


def test_missing_required_column_is_named(organisation):
    analysis, _table = analysis_of(organisation, b"Email;Ville\nx@y.fr;Lyon\n")

    assert analysis.missing_columns == ["Nom ou raison sociale"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "est vide"),
        (b"\r\n;;\r\n", "est vide"),
        (b"PK\x03\x04garbage", "n'est pas un classeur XLSX lisible"),
        (b"\x00\x01\x02binary\x00", "n'est pas un fichier texte CSV"),
    ],
)
def test_unreadable_files_are_explained(data, message):
    with pytest.raises(TableFileError, match=message):
        read_table(data, "fichier.csv")


def test_zip_bomb_is_refused_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))

    with pytest.raises(TableFileError, match="trop volumineux une fois décompressé"):
        read_table(buffer.getvalue(), "bombe.xlsx")


def test_too_many_rows_is_refused():
    data = ("Nom\n" + "Client\n" * (MAX_ROWS + 1)).encode()

    with pytest.raises(TableFileError, match="10 000 au plus"):
        read_table(data, "gros.csv")
