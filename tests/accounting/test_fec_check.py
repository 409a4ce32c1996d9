"""The FEC checker: each problem named with its line, and a sound file accepted."""

from __future__ import annotations

from ardoise.accounting import fec

HEADER = "\t".join(fec.COLUMNS)
# Rows written with pipes for reading; the file under test uses tabs.
ROWS = [
    "VE|Ventes|VE000001|20260105|411|Clients|C00001|Épicerie Martin|F-1|20260105|"
    "Facture F-1|1200,00|0,00|A|20260110|20260105||",
    "VE|Ventes|VE000001|20260105|706|Prestations|||F-1|20260105|Facture F-1|0,00|1000,00|||20260105||",
    "VE|Ventes|VE000001|20260105|44571|TVA collectée|||F-1|20260105|Facture F-1|0,00|200,00|||20260105||",
    "BQ|Banque|BQ000001|20260110|512|Banque|||ENC-1|20260110|Encaissement|1200,00|0,00|||20260110||",
    "BQ|Banque|BQ000001|20260110|411|Clients|C00001|Épicerie Martin|ENC-1|20260110|"
    "Encaissement|0,00|1200,00|A|20260110|20260110||",
]
GOOD_LINES = [row.replace("|", "\t") for row in ROWS]
NAME = "732829320FEC20261231.txt"


def fec_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding)


def test_check_accepts_sound_file():
    report = fec.check(fec_bytes(*GOOD_LINES), NAME)

    assert report.ok, report.problems
    assert report.entries == 2
    assert report.lines == 5
    assert str(report.debit) == "2400.00"


def test_check_accepts_latin9_and_pipes():
    data = (
        fec_bytes(*(line.replace("\t", "|") for line in GOOD_LINES)).decode().replace("\t", "|").encode("iso-8859-15")
    )

    assert fec.check(data, NAME).ok


def test_check_names_unbalanced_entry():
    lines = [*GOOD_LINES]
    lines[1] = lines[1].replace("1000,00", "999,99")

    report = fec.check(fec_bytes(*lines), NAME)

    assert "Écriture VE000001 du journal VE déséquilibrée : débit 1200,00, crédit 1199,99." in report.problems
    assert "Le fichier est déséquilibré : total des débits 2400,00, total des crédits 2399,99." in report.problems


def test_check_names_bad_date_and_amount():
    lines = [*GOOD_LINES]
    lines[2] = lines[2].replace("\t20260105\t44571", "\t2026-01-05\t44571").replace("200,00", "200.00")

    report = fec.check(fec_bytes(*lines), NAME)

    assert "Ligne 4 : EcritureDate « 2026-01-05 » n'est pas une date AAAAMMJJ." in report.problems
    assert any(problem.startswith("Ligne 4 : Credit « 200.00 » n'est pas un montant") for problem in report.problems)


def test_check_names_wrong_field_count():
    lines = [*GOOD_LINES]
    lines[0] = lines[0].replace("Épicerie Martin", "Épicerie\tMartin")

    report = fec.check(fec_bytes(*lines), NAME)

    assert report.problems[0].startswith("Ligne 2 : 19 champs au lieu de 18.")


def test_check_names_missing_columns():
    data = fec_bytes(*GOOD_LINES).replace(b"Montantdevise\tIdevise", b"Montant\tDevise")

    report = fec.check(data, NAME)

    assert report.problems == [
        "En-tête incorrect : colonnes manquantes Montantdevise, Idevise. "
        "La première ligne doit nommer les 18 colonnes dans l'ordre légal."
    ]


def test_check_names_half_filled_pairs():
    lines = [*GOOD_LINES]
    lines[0] = lines[0].replace("\tA\t20260110\t", "\tA\t\t")

    report = fec.check(fec_bytes(*lines), NAME)

    assert report.problems == ["Ligne 2 : EcritureLet et DateLet vont ensemble, l'un est rempli et l'autre vide."]


def test_check_names_bad_file_name_and_late_entry():
    report = fec.check(fec_bytes(*GOOD_LINES), "732829320FEC20251231.txt")
    wrong_name = fec.check(fec_bytes(*GOOD_LINES), "export.txt")

    assert report.problems[0] == "Ligne 2 : écriture du 20260105, après la clôture de l'exercice le 20251231."
    assert wrong_name.problems[0].startswith("Nom de fichier « export.txt » non conforme")


def test_check_refuses_empty_file():
    report = fec.check(b"", NAME)

    assert report.problems == ["Le fichier est vide : il doit commencer par la ligne d'en-tête des 18 colonnes."]


def test_check_stops_after_many_problems():
    report = fec.check(fec_bytes(*(["bad"] * 500)), NAME)

    assert len(report.problems) == fec.MAX_PROBLEMS + 1
    assert report.problems[-1] == "Vérification arrêtée après 200 problèmes."


def test_clean_text_removes_separators():
    assert fec.clean_text("Dupont |\tFils\r\nSARL ") == "Dupont Fils SARL"


def test_write_transliterates_outside_latin9():
    assert fec._encodable("\u2019", "iso-8859-15") == "'"
    assert fec._encodable("\u202f", "iso-8859-15") == " "
    assert fec._encodable("€", "iso-8859-15") == "€"
    assert fec._encodable("ă", "iso-8859-15") == "a"
    assert fec._encodable("ł", "iso-8859-15") == "?"
