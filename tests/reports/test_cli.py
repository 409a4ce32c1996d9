"""``ardoise report``: the aging balance and the other reports on stdout or in a file, French errors, exit code 2."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command, load_command_class

pytestmark = pytest.mark.django_db


def run(autumn, *args: str) -> str:
    output = io.StringIO()
    call_command("report", "--organisation", str(autumn.organisation.pk), *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def test_aging_as_csv_on_stdout(autumn, today):
    output = run(autumn, "aging", "--as-of", "2026-10-10", "--format", "csv")

    assert output.splitlines() == [
        "\ufeffClient;Non échu;1 à 30 jours;31 à 60 jours;61 à 90 jours;Plus de 90 jours;Total des factures;"
        "À rembourser (avoirs);Crédit client;Solde net",
        "Boulangerie Martin SAS;1560,00;570,00;0,00;0,00;0,00;2130,00;0,00;0,00;2130,00",
        "Claire Petit;0,00;0,00;0,00;480,00;0,00;480,00;0,00;0,00;480,00",
        "Total;1560,00;570,00;0,00;480,00;0,00;2610,00;0,00;0,00;2610,00",
    ]


def test_aging_for_one_customer_as_table(autumn, today):
    output = run(autumn, "aging", "--customer", str(autumn.petit.pk))

    assert output.startswith("Balance âgée au 10/12/2026\n")
    assert "Claire Petit" in output
    assert "Boulangerie" not in output
    assert output.splitlines()[-1].startswith("Total")


def test_aging_as_xlsx_needs_output_file(autumn, today, tmp_path):
    with pytest.raises(CommandError, match=r"ajoutez --output FICHIER\.xlsx") as caught:
        run(autumn, "aging", "--format", "xlsx")
    assert caught.value.returncode == 2

    path = tmp_path / "balance.xlsx"
    run(autumn, "aging", "--format", "xlsx", "--output", str(path))

    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[-1][0] == "Total"
    assert rows[-1][-1] == pytest.approx(920.00)


@pytest.mark.parametrize("raw", ["2026/12/10", "10.12.2026", "hier"])
def test_bad_date_is_named_with_exit_code_2(autumn, today, raw):
    with pytest.raises(CommandError) as caught:
        run(autumn, "aging", "--as-of", raw)

    assert caught.value.returncode == 2
    assert str(caught.value) == (
        "--as-of : date « %s » invalide, écrivez-la AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-12-04." % raw
    )


def test_french_date_is_read_like_in_the_forms(autumn, today):
    assert run(autumn, "aging", "--as-of", "10/12/2026") == run(autumn, "aging", "--as-of", "2026-12-10")


@pytest.mark.parametrize("raw", ["2026-13-45", "2026-02-29"])
def test_day_not_in_calendar_is_named(autumn, today, raw):
    with pytest.raises(CommandError) as caught:
        run(autumn, "aging", "--as-of", raw)

    assert caught.value.returncode == 2
    assert str(caught.value) == (
        "--as-of : la date « %s » n'existe pas dans le calendrier : vérifiez le jour et le mois." % raw
    )


def test_bad_date_exits_2_from_the_command_line(autumn, today, capsys):
    command = load_command_class("ardoise.reports", "report")

    with pytest.raises(SystemExit) as caught:
        command.run_from_argv(
            [
                "ardoise",
                "report",
                "--organisation",
                str(autumn.organisation.pk),
                "vat",
                "--from",
                "2026-02-30",
                "--to",
                "2026-03-31",
            ]
        )

    assert caught.value.code == 2
    assert "Erreur : --from : la date « 2026-02-30 » n'existe pas dans le calendrier" in capsys.readouterr().err


def test_unknown_customer_is_refused(autumn, today):
    with pytest.raises(CommandError, match="Aucun client n° « 999999 »") as caught:
        run(autumn, "outstanding", "--customer", "999999")
    assert caught.value.returncode == 2

    with pytest.raises(CommandError, match="Aucun client"):
        run(autumn, "outstanding", "--customer", str(autumn.outsider_customer.pk))


def test_vat_and_revenue_over_a_period(autumn, today):
    vat = run(autumn, "vat", "--from", "2026-10-01", "--to", "2026-12-31", "--format", "csv")
    revenue = run(autumn, "revenue", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "trimestre")

    assert "20\u202f%;3195,00;639,00;2602,53;520,50" in vat.splitlines()
    assert "T4 2026" in revenue


def test_statement_needs_a_customer_and_writes_pdf(autumn, today, tmp_path):
    with pytest.raises(CommandError, match="ajoutez --customer ID"):
        run(autumn, "statement")

    path = tmp_path / "releve.pdf"
    run(autumn, "statement", "--customer", str(autumn.martin.pk), "--format", "pdf", "--output", str(path))

    assert path.read_bytes().startswith(b"%PDF")


def test_statement_pdf_that_fails_gets_a_french_message(autumn, today, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    monkeypatch.setattr("ardoise.pdf.render.LINES_RENDERED_APART", -1)
    path = tmp_path / "releve.pdf"

    with pytest.raises(CommandError, match="la mise en page s'est arrêtée avant la fin"):
        run(autumn, "statement", "--customer", str(autumn.martin.pk), "--format", "pdf", "--output", str(path))
    assert not path.exists()


def test_statement_default_period(autumn, today):
    default = run(autumn, "statement", "--customer", str(autumn.durand.pk), "--format", "csv").splitlines()
    chosen = run(
        autumn,
        "statement",
        "--customer",
        str(autumn.durand.pk),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "csv",
    ).splitlines()

    assert default[1] == "01/12/2026;Solde à l'ouverture;;;;;-330,00"
    assert default[2] == "01/12/2026;Remboursement par virement;;;100,00;;-230,00"
    assert default[-1] == "10/12/2026;Solde à la clôture;;;100,00;0,00;-230,00"
    assert chosen[-1] == "30/11/2026;Solde à la clôture;;;1670,00;2000,00;-330,00"


def test_refresh_fills_missing_rows(autumn, today):
    from ardoise.reports.models import VatBreakdownRow

    VatBreakdownRow.objects.filter(invoice=autumn.f2).delete()

    output = run(autumn, "refresh")

    assert output == (
        "Tables des rapports reconstruites : 7 documents émis recalculés. "
        "Lignes de TVA et de chiffre d'affaires ajoutées à 1 document.\n"
    )
    assert VatBreakdownRow.objects.filter(invoice=autumn.f2).exists()


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_far_date_is_refused_with_exit_code_2(autumn, today, raw):
    with pytest.raises(CommandError) as caught:
        run(autumn, "aging", "--as-of", raw)

    assert caught.value.returncode == 2
    assert str(caught.value) == (
        "--as-of : la date « %s » est hors limites : saisissez une date entre le 01/01/1900 et le 31/12/2199." % raw
    )
