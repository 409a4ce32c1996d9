"""The full backup (JSONL tables) carries quotes, their lines, PDFs, settings and invoice links."""

from __future__ import annotations

import base64

import pytest

from ardoise.backups.tables import all_models, dump_tables, read_rows
from ardoise.quotes.models import Quote, QuoteFile, QuoteInvoice, QuoteLine, QuoteSettings

from .conftest import Installation
from .test_round_trip import normalised

QUOTE_TABLES = ["quotes_quote", "quotes_quoteline", "quotes_quotefile", "quotes_quotesettings", "quotes_quoteinvoice"]


def test_every_quote_model_is_backed_up():
    models = all_models()

    for model in (Quote, QuoteLine, QuoteFile, QuoteSettings, QuoteInvoice):
        assert model in models, model
    # A line, a PDF or an invoice link is loaded before its quote (children first), so it comes after it here.
    assert models.index(Quote) < models.index(QuoteLine)
    assert models.index(Quote) < models.index(QuoteInvoice)


@pytest.mark.django_db
def test_dump_writes_quote_rows(invoiced_quote, tmp_path):
    counts = dump_tables(tmp_path, "default")

    assert [counts[table] for table in QUOTE_TABLES] == [2, 4, 2, 1, 2]
    files = {row["quote_id"]: row for row in read_rows(tmp_path / "quotes_quotefile.jsonl")}
    assert base64.b64decode(files[invoiced_quote.pk]["pdf"]) == invoiced_quote.issued_pdf()
    quotes = {row["id"]: row for row in read_rows(tmp_path / "quotes_quote.jsonl")}
    assert quotes[invoiced_quote.pk]["document_adjustments"] == invoiced_quote.document_adjustments
    assert quotes[invoiced_quote.pk]["status"] == "invoiced"


def quote_rows(installation: Installation) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [
            tuple(normalised(value) for value in row)
            for row in installation.query('SELECT * FROM "%s" ORDER BY 1' % table)
        ]
        for table in ("quotes_quoteline", "quotes_quoteinvoice")
    } | {
        "quotes": installation.query("SELECT number, status, total_with_vat FROM quotes_quote ORDER BY id"),
        "pdfs": [
            (number, bytes(pdf))
            for number, pdf in installation.query(
                "SELECT q.number, f.pdf FROM quotes_quotefile f JOIN quotes_quote q ON q.id = f.quote_id ORDER BY 1"
            )
        ],
    }


@pytest.mark.postgres
def test_quotes_survive_sqlite_postgresql_sqlite(postgres_database, tmp_path):
    """An installation with an invoiced quote restores into PostgreSQL and back, its quote tables unchanged."""
    source = Installation(tmp_path / "source")
    source.run("migrate", "--noinput", "-v0")
    source.run("setup", "--demo")
    (number,) = source.query("SELECT number FROM quotes_quote WHERE status = 'accepted'")[0]
    source.run("quote", "invoice", number, "--deposit", "30%")
    source.run("quote", "invoice", number, "--final")
    source.run("backup", "--output", str(tmp_path / "archives"))
    (archive,) = (tmp_path / "archives").glob("ardoise-backup-*.tar.gz")

    on_postgresql = Installation(tmp_path / "pg", database_url=postgres_database)
    on_postgresql.run("restore", str(archive))
    on_postgresql.run("backup", "--output", str(tmp_path / "pg-archives"))
    (pg_archive,) = (tmp_path / "pg-archives").glob("ardoise-backup-*.tar.gz")
    back = Installation(tmp_path / "back")
    back.run("restore", str(pg_archive))

    expected = quote_rows(source)
    assert len(expected["quotes_quoteinvoice"]) == 2
    assert quote_rows(on_postgresql)["quotes"] == expected["quotes"]
    assert quote_rows(on_postgresql)["pdfs"] == expected["pdfs"]
    assert quote_rows(back) == expected
    assert "chaîne intacte" in back.run("verify").stdout
