"""Journal files in the layouts of named packages: the Cegid Quadra « M » records, from the CLI and the page."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ardoise.accounting.entries import AccountingError, Entry, EntryLine, build_entries
from ardoise.accounting.layouts import QUADRA_FIELDS, QUADRA_RECORD_LENGTH, quadra_ascii
from ardoise.accounting.models import AccountingSettings

pytestmark = pytest.mark.django_db

SEPTEMBER = (datetime.date(2026, 9, 1), datetime.date(2026, 9, 30))


def field(record: str, name: str) -> str:
    """Return the field ``name`` of a Quadra record, by its position in Cegid's description."""
    _name, start, length = next(item for item in QUADRA_FIELDS if item[0] == name)
    return record[start - 1 : start - 1 + length]


def quadra_records(organisation, start, end) -> list[str]:
    content = quadra_ascii(build_entries(organisation, start, end))
    assert content.endswith(b"\r\n")
    return content.decode("ascii").split("\r\n")[:-1]


def test_quadra_fields_follow_each_other():
    position = 1
    for name, start, length in QUADRA_FIELDS:
        assert start == position, name
        position += length
    assert position - 1 == QUADRA_RECORD_LENGTH


def test_quadra_invoice_records(autumn):
    records = quadra_records(autumn.organisation, *SEPTEMBER)
    invoice = [record for record in records if field(record, "journal") == "VE"]

    assert len(records) == 7
    assert all(len(record) == QUADRA_RECORD_LENGTH for record in records)
    assert [field(record, "account") for record in invoice] == [
        ("C%05d" % autumn.martin.pk).ljust(8),
        "706     ",
        "707     ",
        "44571   ",
        "44571   ",
    ]
    first = invoice[0]
    assert field(first, "type") == "M"
    assert field(first, "folio") == "000"
    assert field(first, "date") == "010926"
    assert field(first, "label") == ("Facture %s Boulangerie" % autumn.f1.number)[:20]
    assert field(first, "direction") == "D"
    assert field(first, "amount") == "+000000087000"
    assert field(first, "piece") == "VE000001"
    assert field(first, "currency") == "EUR"
    assert field(first, "journal_3") == "VE "
    assert [field(record, "direction") for record in invoice[1:]] == ["C", "C", "C", "C"]
    assert [field(record, "amount") for record in invoice[1:]] == [
        "+000000065000",
        "+000000008531",
        "+000000013000",
        "+000000000469",
    ]


def test_quadra_entries_balance(autumn):
    records = quadra_records(autumn.organisation, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    totals: dict[str, Decimal] = {}

    for record in records:
        cents = Decimal(field(record, "amount"))
        signed = cents if field(record, "direction") == "D" else -cents
        totals[field(record, "piece")] = totals.get(field(record, "piece"), Decimal(0)) + signed

    assert len(totals) == 16
    assert set(totals.values()) == {Decimal(0)}


def test_quadra_letters_fit_two_characters(autumn):
    records = quadra_records(autumn.organisation, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    letters = {field(record, "letter") for record in records}

    assert "A " in letters
    assert all(len(letter) == 2 for letter in letters)


def test_quadra_text_is_plain_ascii():
    line = EntryLine(account="706", account_label="Ventes", amount=Decimal("-10.00"))
    entry = Entry(
        journal="VE",
        journal_label="Ventes",
        date=datetime.date(2026, 9, 1),
        piece_ref="F-1",
        label="Réglé\tpar l'« Épicerie »",
        validated_on=datetime.date(2026, 9, 1),
        lines=[line],
        source=("invoice", 1),
        number="VE000001",
    )

    record = quadra_ascii([entry]).decode("ascii")

    assert field(record, "label") == "Regle par l'? Epicer"
    assert field(record, "amount") == "+000000001000"


def test_quadra_rejects_long_account(autumn):
    AccountingSettings.objects.filter(organisation=autumn.organisation).delete()
    AccountingSettings.objects.create(organisation=autumn.organisation, service_revenue_account="706000001")

    with pytest.raises(AccountingError, match="« 706000001 » compte 9 caractères : le fichier Quadra en accepte 8"):
        quadra_records(autumn.organisation, *SEPTEMBER)


def test_quadra_rejects_long_journal_code(autumn):
    AccountingSettings.objects.filter(organisation=autumn.organisation).delete()
    AccountingSettings.objects.create(organisation=autumn.organisation, sales_journal="VTE")

    with pytest.raises(AccountingError, match="« VTE » compte 3 caractères : le fichier Quadra en demande 2"):
        quadra_records(autumn.organisation, *SEPTEMBER)


def run(*args: str) -> str:
    output = io.StringIO()
    call_command("export", *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def test_cli_writes_quadra_file(autumn, tmp_path):
    path = tmp_path / "quadra.txt"
    organisation = str(autumn.organisation.pk)

    output = run(
        "--organisation",
        organisation,
        "journal",
        "--layout",
        "quadra",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
        "--output",
        str(path),
    )

    assert output == "%s : 2 écriture(s), 7 ligne(s).\n" % path
    assert path.read_bytes().startswith(b"M%sVE000010926" % ("C%05d" % autumn.martin.pk).ljust(8).encode())


def test_cli_rejects_format_with_quadra(autumn, tmp_path):
    with pytest.raises(CommandError, match="--format xlsx ne s'applique pas à --layout quadra") as error:
        run(
            "journal",
            "--layout",
            "quadra",
            "--format",
            "xlsx",
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--output",
            str(tmp_path / "q.txt"),
        )

    assert error.value.returncode == 2
    assert not (tmp_path / "q.txt").exists()


def test_cli_reports_account_too_long(autumn, tmp_path):
    AccountingSettings.objects.filter(organisation=autumn.organisation).delete()
    AccountingSettings.objects.create(organisation=autumn.organisation, bank_account="512000001")

    with pytest.raises(CommandError, match="« 512000001 » compte 9 caractères"):
        run(
            "--organisation",
            str(autumn.organisation.pk),
            "journal",
            "--layout",
            "quadra",
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--output",
            str(tmp_path / "q.txt"),
        )

    assert not (tmp_path / "q.txt").exists()


def test_page_downloads_quadra_file(member_client, autumn, today):
    response = member_client.post(
        reverse("accounting:journal"), {"start": "2026-09-01", "end": "2026-09-30", "layout": "quadra"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=us-ascii"
    assert response["Content-Disposition"] == 'attachment; filename="ecritures-quadra-2026-09-01-2026-09-30.txt"'
    assert response.content.count(b"\r\n") == 7
    assert response.content.startswith(b"M")


def test_page_generic_layout_stays_default(member_client, autumn, today):
    response = member_client.post(reverse("accounting:journal"), {"start": "2026-09-01", "end": "2026-09-30"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ecritures-2026-09-01-2026-09-30.csv"'


def test_page_shows_layout_error(member_client, autumn, today):
    AccountingSettings.objects.filter(organisation=autumn.organisation).delete()
    AccountingSettings.objects.create(organisation=autumn.organisation, sales_journal="VTE")

    response = member_client.post(
        reverse("accounting:journal"), {"start": "2026-09-01", "end": "2026-09-30", "layout": "quadra"}
    )

    assert response.status_code == 400
    assert "Le code journal « VTE » compte 3 caractères" in response.text


def test_page_rejects_unknown_layout(member_client, autumn, today):
    response = member_client.post(
        reverse("accounting:journal"), {"start": "2026-09-01", "end": "2026-09-30", "layout": "sage"}
    )

    assert response.status_code == 400
    assert "sage" in response.text
