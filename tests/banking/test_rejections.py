"""Malformed statement files: a French message that names the line, and nothing saved.

Each bad file goes through the import service and ``ardoise bank import``;
the files that are not CSV also go through the import page.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from ardoise.audit.models import AuditEntry
from ardoise.banking import statements
from ardoise.banking.models import BankAccount, BankTransaction, CsvMapping, StatementImport
from ardoise.banking.services import import_statement
from ardoise.banking.statements import StatementFileError
from tests.banking.conftest import ORGANISATION_IBAN, sample

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol2;</BkToCstmrStmt></Document>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&secret;</BkToCstmrStmt></Document>
"""


def camt_with(old: bytes, new: bytes) -> bytes:
    data = sample("camt053_decembre.xml")
    assert old in data
    return data.replace(old, new, 1)


def ofx_with(old: bytes, new: bytes) -> bytes:
    data = sample("ofx1_credit_lyonnais_latin1.ofx")
    assert old in data
    return data.replace(old, new, 1)


# (file name, content, expected parts of the message)
BAD_FILES = {
    "empty": ("vide.csv", lambda: b"", ["est vide"]),
    "blank": ("blanc.xml", lambda: b"\xef\xbb\xbf \r\n", ["est vide"]),
    "pdf": ("releve.pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", ["c'est un PDF", "CAMT.053 (XML), OFX ou CSV"]),
    "spreadsheet": ("releve.xlsx", lambda: b"PK\x03\x04\x14\x00\x06\x00", ["classeur Excel", "au format CSV"]),
    "binary": ("releve.bin", lambda: b"\x00\x01\x02garbage\x00", ["données binaires"]),
    "truncated camt": (
        "tronque.xml",
        lambda: sample("camt053_decembre.xml")[:2000],
        ["n'est pas un XML valide", "Ligne "],
    ),
    "doctype": ("dtd.xml", lambda: BILLION_LAUGHS, ["DOCTYPE", "sécurité"]),
    "external entity": ("xxe.xml", lambda: EXTERNAL_ENTITY, ["DOCTYPE", "sécurité"]),
    "camt amount": (
        "montant.xml",
        lambda: camt_with(b'<Amt Ccy="EUR">1065.00</Amt>', b'<Amt Ccy="EUR">1065,00</Amt>'),
        ["Ligne 28 : montant « 1065,00 » illisible"],
    ),
    "camt direction": (
        "sens.xml",
        lambda: camt_with(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>DEBIT</CdtDbtInd>"),
        ["Ligne 49 : sens de l'opération « DEBIT » inconnu"],
    ),
    "camt date": (
        "date.xml",
        lambda: camt_with(b"<BookgDt><Dt>2026-12-07</Dt>", b"<BookgDt><Dt>2026-13-07</Dt>"),
        ["Ligne 33 : date « 2026-13-07 » invalide"],
    ),
    "camt.054": (
        "avis.xml",
        lambda: camt_with(b"camt.053.001.02", b"camt.054.001.02"),
        ["camt.054", "CAMT.053"],
    ),
    "invoice": (
        "facture.xml",
        lambda: b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>',
        ["facture électronique"],
    ),
    "ofx amount": (
        "montant.ofx",
        lambda: ofx_with(b"<TRNAMT>360.00", b"<TRNAMT>3 6O,00"),
        ["Ligne 63 : montant « 3 6O,00 » illisible"],
    ),
    "ofx date": (
        "date.ofx",
        lambda: ofx_with(b"<DTPOSTED>20261204", b"<DTPOSTED>20261304"),
        ["Ligne 49 : date « 20261304 » invalide"],
    ),
    "ofx without body": (
        "entete.ofx",
        lambda: sample("ofx1_credit_lyonnais_latin1.ofx")[:120],
        ["pas d'élément <OFX>"],
    ),
    "truncated ofx": (
        "tronque.ofx",
        lambda: sample("ofx1_credit_lyonnais_latin1.ofx")[:900],
        ["Ligne 57 : ", "s'arrête avant la fin du relevé"],
    ),
    "ofx broken tag": (
        "balise.ofx",
        lambda: ofx_with(b"<NAME>VIR M OU MME", b"<NAME>VIR M OU MME</MEMO>"),
        ["n'est pas un OFX valide"],
    ),
}

# CSV files go into an existing account.
BAD_CSV_FILES = {
    "csv amount": (
        "montant.csv",
        lambda: sample("csv_credit_agricole_cp1252.csv").replace(b";;360,00;", b";;360,0O;"),
        ["Ligne 17 : montant « 360,0O » illisible"],
    ),
    "csv date": (
        "date.csv",
        lambda: sample("csv_societe_generale_utf8_bom.csv").replace(b"05/12/2026", b"31/02/2026"),
        ["Ligne 5 : date « 31/02/2026 » invalide (format attendu JJ/MM/AAAA)"],
    ),
    "csv three decimals": (
        "decimales.csv",
        lambda: sample("csv_societe_generale_utf8_bom.csv").replace(b";-4,50;", b";-4,505;"),
        ["Ligne 4 : le montant « -4,505 » a plus de deux décimales"],
    ),
    "csv short line": (
        "colonnes.csv",
        lambda: sample("csv_societe_generale_utf8_bom.csv") + b"06/12/2026;VIR RECU DUPONT\n",
        ["Ligne 6 : 2 colonnes au lieu d'au moins 4, il manque : montant"],
    ),
    "csv no columns": (
        "texte.csv",
        lambda: "Bonjour,\nvoici le relevé demandé.\nCordialement\n".encode(),
        ["ne reconnaît pas les colonnes", "la date, le libellé et le montant"],
    ),
}


def assert_nothing_saved(accounts: int = 0) -> None:
    assert BankTransaction.objects.count() == 0
    assert StatementImport.objects.count() == 0
    assert BankAccount.objects.count() == accounts
    assert CsvMapping.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="bank.").exclude(action="bank.account_created").exists()


@pytest.fixture
def account(organisation):
    return BankAccount.objects.create(organisation=organisation, name="Compte pro", iban=ORGANISATION_IBAN)


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_is_rejected_by_service(organisation, case):
    name, content, parts = BAD_FILES[case]

    with pytest.raises(StatementFileError) as raised:
        import_statement(organisation, content(), name)

    for part in parts:
        assert part in raised.value.message
    assert_nothing_saved()


@pytest.mark.parametrize("case", BAD_CSV_FILES)
def test_bad_csv_is_rejected_by_service(organisation, account, case):
    name, content, parts = BAD_CSV_FILES[case]

    with pytest.raises(StatementFileError) as raised:
        import_statement(organisation, content(), name, account=account)

    for part in parts:
        assert part in raised.value.message
    assert_nothing_saved(accounts=1)


@pytest.mark.parametrize("case", [*BAD_FILES, *BAD_CSV_FILES])
def test_bad_file_is_rejected_by_cli(organisation, account, tmp_path, case):
    name, content, parts = {**BAD_FILES, **BAD_CSV_FILES}[case]
    path = tmp_path / name
    path.write_bytes(content())

    with pytest.raises(CommandError) as raised:
        call_command("bank", "import", str(path), "--account", ORGANISATION_IBAN)

    for part in parts:
        assert part in str(raised.value)
    assert "Aucune opération n'a été importée." in str(raised.value)
    assert_nothing_saved(accounts=1)


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_is_rejected_by_import_page(owner_client, case):
    name, content, parts = BAD_FILES[case]
    upload = SimpleUploadedFile(name, content() or b"", content_type="application/octet-stream")

    response = owner_client.post(reverse("banking:import"), {"file": upload})

    assert response.status_code == 200
    text = response.content.decode()
    if content():
        for part in parts:
            assert part.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;") in text
    else:
        assert "Le fichier envoyé est vide" in text
    assert_nothing_saved()


def test_file_over_size_limit_is_rejected(organisation, monkeypatch):
    monkeypatch.setattr(statements, "MAX_STATEMENT_BYTES", 1024 * 1024)
    padded = sample("camt053_decembre.xml").replace(b"<BkToCstmrStmt>", b"<BkToCstmrStmt>" + b" " * 1_300_000)

    with pytest.raises(StatementFileError, match=r"« gros\.xml » pèse 1,2 Mo : la limite est de 1 Mo"):
        import_statement(organisation, padded, "gros.xml")
    assert_nothing_saved()


def test_cli_names_missing_file(organisation, tmp_path):
    with pytest.raises(CommandError, match=r"Le fichier « .*absent\.xml » est introuvable"):
        call_command("bank", "import", str(tmp_path / "absent.xml"))


def test_cli_rejects_invalid_account_iban(organisation, tmp_path):
    path = tmp_path / "releve.xml"
    path.write_bytes(sample("camt053_decembre.xml"))

    with pytest.raises(CommandError, match="Aucun compte ne correspond à « FR76 1234 »"):
        call_command("bank", "import", str(path), "--account", "FR76 1234")
    assert_nothing_saved()
