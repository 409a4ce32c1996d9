"""``ardoise invoice credit`` and ``ardoise invoice replace``."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.invoicing.models import Invoice, InvoiceStatus


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def credit_notes():
    return Invoice.objects.filter(type_code="381")


@pytest.mark.django_db
@pytest.mark.usefixtures("december_2026")
def test_credit_whole_invoice_and_issue(issued_invoice):
    number, _err = run("invoice", "credit", issued_invoice.number, "--issue")

    credit_note = credit_notes().get()
    assert number == credit_note.number == "F-2026-0002"
    assert credit_note.status == InvoiceStatus.ISSUED
    assert credit_note.amount_due == issued_invoice.amount_due


@pytest.mark.django_db
def test_credit_chosen_lines_leaves_draft(issued_invoice):
    out, err = run("invoice", "credit", issued_invoice.number, "--line", "1=2,5", "--line", "2=1")

    credit_note = credit_notes().get()
    assert out == str(credit_note.pk)
    assert "Brouillon d'avoir n° %s créé sur la facture F-2026-0001" % credit_note.pk in err
    assert [line.quantity for line in credit_note.lines.all()] == [Decimal("2.5000"), Decimal("1.0000")]


@pytest.mark.django_db
def test_show_credit_note_names_invoice(issued_invoice):
    number, _err = run("invoice", "credit", issued_invoice.number, "--issue")

    summary = json.loads(run("invoice", "show", number, "--json")[0])

    assert summary["type_code"] == "381"
    assert summary["credited_invoice"] == "F-2026-0001"
    assert summary["status"] == "settled"
    invoice_summary = json.loads(run("invoice", "show", issued_invoice.number, "--json")[0])
    assert invoice_summary["status"] == "cancelled"
    assert invoice_summary["balance"] == "0.00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("1=deux", "--line « 1=deux » : « deux » n'est pas une quantité valide, par exemple 1,5."),
        ("un=2", "--line « un=2 » invalide : écrivez la position de la ligne et la quantité, par exemple 2=1,5."),
        ("1=13", "Ligne 1 (« Développement web ») : 13 à créditer, mais il ne reste que 12,5 à créditer"),
        ("9=1", "La facture F-2026-0001 n'a pas de ligne n° 9 : elle compte 2 ligne(s)."),
    ],
)
def test_bad_line_option_is_explained(issued_invoice, option, message):
    with pytest.raises(CommandError) as error:
        run("invoice", "credit", issued_invoice.number, "--line", option, "--issue")

    assert message in str(error.value)
    assert not credit_notes().exists()


@pytest.mark.django_db
def test_issue_failure_leaves_no_draft(issued_invoice, organisation):
    organisation.siren = ""
    organisation.save()

    with pytest.raises(CommandError, match="ne peut pas encore être émise"):
        run("invoice", "credit", issued_invoice.number, "--issue")

    assert not credit_notes().exists()


@pytest.mark.django_db
def test_credit_of_credit_note_is_refused(issued_invoice):
    number, _err = run("invoice", "credit", issued_invoice.number, "--line", "2=1", "--issue")

    with pytest.raises(CommandError, match="est un avoir : un avoir ne peut pas être crédité"):
        run("invoice", "credit", number)


@pytest.mark.django_db
def test_replace_prints_credit_note_and_draft(issued_invoice):
    out, err = run("invoice", "replace", issued_invoice.number)

    number, draft_id = out.splitlines()
    draft = Invoice.objects.get(pk=int(draft_id))
    assert number == credit_notes().get().number
    assert draft.replaced_invoice == issued_invoice
    assert "la facture F-2026-0001 est annulée" in err


@pytest.mark.django_db
def test_replace_of_draft_is_refused(draft_invoice, organisation):
    with pytest.raises(CommandError, match="Aucune facture émise"):
        run("invoice", "replace", "F-2026-0099")


def test_credit_without_number_exits_with_usage_error():
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run([str(ardoise), "invoice", "credit"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "Erreur : Argument obligatoire manquant : NUMERO." in result.stderr


@pytest.mark.django_db
def test_show_credit_note_as_text(issued_invoice):
    number, _err = run("invoice", "credit", issued_invoice.number, "--issue")

    text = run("invoice", "show", number)[0]

    assert text.splitlines()[0].startswith("Avoir")
    assert "Facture corrigée" in text
    assert "Montant de l'avoir (BT-115)" in text
    assert "Reste à rembourser" in text
