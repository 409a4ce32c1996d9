"""Reading statement files: formats, encodings, amounts, dates, CSV layouts of several French banks."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

import pytest

from ardoise.banking.csv_statements import CsvLayout, column_choices, detect_layout, parse_csv
from ardoise.banking.statements import (
    StatementFileError,
    StatementFormat,
    decode_text,
    detect_format,
    parse_amount,
    parse_statement_file,
)
from tests.banking.conftest import ORGANISATION_IBAN, sample


def read(name: str):
    data = sample(name)
    return parse_statement_file(data, name, detect_format(data, name))


def read_csv(name: str):
    data = sample(name)
    return detect_layout(data), parse_csv(data, detect_layout(data))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053_decembre.xml", StatementFormat.CAMT053),
        ("ofx1_credit_lyonnais_latin1.ofx", StatementFormat.OFX),
        ("ofx2_banque_populaire.ofx", StatementFormat.OFX),
        ("csv_credit_agricole_cp1252.csv", StatementFormat.CSV),
        ("csv_sans_titres_tabulations.csv", StatementFormat.CSV),
    ],
)
def test_format_comes_from_content(name, expected):
    assert detect_format(sample(name), "releve.txt") == expected


# CAMT.053


def test_camt_merges_daily_statements_of_one_account():
    (statement,) = read("camt053_decembre.xml")

    assert statement.iban == ORGANISATION_IBAN
    assert statement.currency == "EUR"
    assert len(statement.transactions) == 5


def test_camt_batch_entry_becomes_one_transaction_per_detail():
    (statement,) = read("camt053_decembre.xml")

    batch = [item for item in statement.transactions if item.bank_id.startswith("2026120800003")]
    assert [item.amount for item in batch] == [Decimal("1200.00"), Decimal("420.00")]
    assert [item.bank_id for item in batch] == ["2026120800003/1", "2026120800003/2"]
    assert batch[0].counterparty_name == "CAFE DES ARTS"
    assert batch[0].end_to_end_id == "CLT-7781"
    assert batch[1].remittance == "RF18539007547034 F-2026-0003"


def test_camt_skips_pending_entries_and_reads_debits_negative():
    (statement,) = read("camt053_decembre.xml")

    assert Decimal("99.00") not in [item.amount for item in statement.transactions]
    debit = next(item for item in statement.transactions if item.amount < 0)
    assert debit.amount == Decimal("-45.90")
    assert debit.counterparty_name == "ORANGE SA"


def test_camt_booking_time_gives_paris_calendar_date():
    (statement,) = read("camt053_decembre.xml")

    late = next(item for item in statement.transactions if item.bank_id == "2026120800004")
    # 23:30 UTC on 8 December is 00:30 on 9 December in Paris.
    assert late.booking_date == datetime.date(2026, 12, 9)


def test_camt_unbalanced_batch_stays_whole():
    data = sample("camt053_decembre.xml").replace(b'<Amt Ccy="EUR">420.00</Amt>', b'<Amt Ccy="EUR">400.00</Amt>')

    (statement,) = parse_statement_file(data, "x.xml", StatementFormat.CAMT053)

    batch = [item for item in statement.transactions if item.bank_id.startswith("2026120800003")]
    assert [(item.amount, item.bank_id) for item in batch] == [(Decimal("1620.00"), "2026120800003")]
    assert "F20260002" in batch[0].remittance
    assert "F-2026-0003" in batch[0].remittance


def test_camt_party_name_of_newer_versions():
    data = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>'
        b"<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        b'<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        b"<BookgDt><Dt>2026-12-02</Dt></BookgDt><NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>ACME</Nm></Pty></Dbtr>"
        b"</RltdPties></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"
    )

    (statement,) = parse_statement_file(data, "v8.xml", StatementFormat.CAMT053)

    assert statement.transactions[0].counterparty_name == "ACME"
    assert statement.period_start == datetime.date(2026, 12, 2)


# OFX


def test_ofx1_reads_windows_1252_accents_and_decimal_comma():
    (statement,) = read("ofx1_credit_lyonnais_latin1.ofx")

    assert [item.amount for item in statement.transactions] == [
        Decimal("1065.00"),
        Decimal("-4.50"),
        Decimal("-4.50"),
        Decimal("360.00"),
    ]
    assert statement.transactions[0].remittance == "Règlement facture F-2026-0001"
    assert statement.transactions[3].label == "VIR M OU MME LEFÈVRE"
    assert statement.transactions[0].bank_id == "7H3K2L0001"
    assert statement.period_end == datetime.date(2026, 12, 8)


def test_ofx1_transaction_lines_are_those_of_the_file():
    (statement,) = read("ofx1_credit_lyonnais_latin1.ofx")

    assert [item.line for item in statement.transactions] == [40, 49, 56, 63]


def test_ofx2_entities_and_zoned_dates():
    (statement,) = read("ofx2_banque_populaire.ofx")

    assert statement.transactions[0].remittance == "Facture F 2026 2 & merci"
    assert statement.transactions[0].booking_date == datetime.date(2026, 12, 6)
    assert statement.transactions[1].label == "PRLV SEPA EDF ÉLECTRICITÉ"
    assert statement.iban == "FR7630004000030001234567897"


def test_ofx_misdeclared_utf8_body():
    data = sample("ofx1_credit_lyonnais_latin1.ofx").decode("cp1252").encode("utf-8")

    (statement,) = parse_statement_file(data, "utf8.ofx", StatementFormat.OFX)

    assert statement.transactions[1].label == "CB CAFÉ DE LA GARE 03/12"


# CSV


def test_credit_agricole_layout():
    layout, statement = read_csv("csv_credit_agricole_cp1252.csv")

    assert layout.delimiter == ";"
    assert layout.skip_rows == 8
    assert (layout.date_column, layout.label_column, layout.debit_column, layout.credit_column) == (1, 2, 3, 4)
    assert [item.amount for item in statement.transactions] == [
        Decimal("1065.00"),
        Decimal("-4.50"),
        Decimal("-4.50"),
        Decimal("360.00"),
        Decimal("-1250.00"),
    ]
    # Multi-line labels are joined and their trailing spaces dropped; accents come from Windows-1252.
    assert statement.transactions[1].label == "PAIEMENT PAR CARTE CAFÉ DE LA GARE 03/12"
    assert [item.line for item in statement.transactions] == [10, 13, 15, 17, 19]


def test_banque_populaire_layout():
    layout, statement = read_csv("csv_banque_populaire_utf8.csv")

    assert (layout.label_column, layout.details_column, layout.reference_column) == (2, 5, 4)
    assert (layout.debit_column, layout.credit_column, layout.value_date_column) == (9, 10, 12)
    assert [item.amount for item in statement.transactions] == [
        Decimal("1200.00"),
        Decimal("-45.90"),
        Decimal("1020.00"),
    ]
    assert statement.transactions[2].remittance == "F20260003 F20260004"


def test_societe_generale_layout():
    layout, statement = read_csv("csv_societe_generale_utf8_bom.csv")

    assert layout.skip_rows == 1
    assert layout.amount_column == 4
    assert statement.transactions[0].amount == Decimal("1065.00")
    assert statement.transactions[0].label == "VIR RECU BOULANGERIE MARTIN"
    assert statement.transactions[0].remittance == "DE: BOULANGERIE MARTIN MOTIF: REGLEMENT F-2026-0001"


def test_comma_separated_neobank_layout():
    layout, statement = read_csv("csv_neobanque_virgules.csv")

    assert layout.delimiter == ","
    assert layout.date_format == "%Y-%m-%d"
    assert layout.decimal_comma is False
    assert (layout.counterparty_column, layout.counterparty_iban_column, layout.reference_column) == (5, 6, 7)
    assert [item.amount for item in statement.transactions] == [Decimal("1065.00"), Decimal("-1234.56")]
    assert statement.transactions[0].counterparty_iban == "FR1420041010050500013M02606"
    assert statement.transactions[0].booking_date == datetime.date(2026, 12, 3)


def test_export_without_titles_is_guessed_from_values():
    layout, statement = read_csv("csv_sans_titres_tabulations.csv")

    assert layout.delimiter == "\t"
    assert layout.has_header is False
    assert (layout.date_column, layout.amount_column, layout.label_column) == (1, 2, 5)
    assert statement.transactions[0].label == "VIR SEPA BOULANGERIE MARTIN F20260001"


def test_untitled_debit_credit_columns():
    data = b"02/12/2026;CB BOULANGERIE;4,50;\n03/12/2026;VIR CLIENT DUPONT;;1 200,00\n"

    layout = detect_layout(data)

    assert (layout.debit_column, layout.credit_column) == (3, 4)
    assert [item.amount for item in parse_csv(data, layout).transactions] == [Decimal("-4.50"), Decimal("1200.00")]


def test_column_choices_name_titles_or_examples():
    data = sample("csv_sans_titres_tabulations.csv")

    choices = column_choices(data, detect_layout(data))

    assert choices[0] == (1, "Colonne 1 (exemple : 03/12/2026)")
    assert choices[3] == (4, "Colonne 4 (vide)")


def test_footer_lines_are_skipped():
    data = "Date;Libellé;Montant\n02/12/2026;VIR DUPONT;10,00\n;Fin du relevé;\n".encode()

    statement = parse_csv(data, detect_layout(data))

    assert len(statement.transactions) == 1


def test_wrong_forced_encoding_names_line():
    data = "Date;Libelle;Montant\n02/12/2026;CAFÉ;-4,50\n".encode("cp1252")
    layout = CsvLayout(encoding="utf-8", date_column=1, label_column=2, amount_column=3)

    with pytest.raises(StatementFileError, match="Ligne 2 : le fichier n'est pas encodé en UTF-8"):
        parse_csv(data, layout)


# Amounts and text.


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [
        ("12,50", True, "12.50"),
        ("-12,50", True, "-12.50"),
        ("+1 234,56", True, "1234.56"),
        ("1\u202f234,56", True, "1234.56"),
        ("1\u00a0234,56 €", True, "1234.56"),
        ("1.234,56", True, "1234.56"),
        ("1.234", True, "1234"),
        ("1,234.56", False, "1234.56"),
        ("1,234", False, "1234"),
        ("1234.56", True, "1234.56"),
        ("12,50-", True, "-12.50"),
        ("(12,50)", True, "-12.50"),
        ("1065.00 EUR", False, "1065.00"),
    ],
)
def test_parse_amount_accepts_bank_formats(raw, decimal_comma, expected):
    assert parse_amount(raw, decimal_comma=decimal_comma) == Decimal(expected)


@pytest.mark.parametrize("raw", ["12,5O", "", "abc", "1,2,3", "NaN", "1e3", "12..5"])
def test_parse_amount_rejects_non_numbers(raw):
    with pytest.raises(InvalidOperation):
        parse_amount(raw)


def test_decode_text_tries_utf8_then_windows_1252():
    assert decode_text("Crédit".encode()) == "Crédit"
    assert decode_text(b"\xef\xbb\xbfCr\xc3\xa9dit") == "Crédit"
    assert decode_text("Crédit € œuvre".encode("cp1252")) == "Crédit € œuvre"
    # 0x81 is undefined in Windows-1252: Latin-1 still decodes it.
    assert decode_text(b"Cr\xe9dit \x81") == "Crédit \x81"
