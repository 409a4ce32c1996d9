"""``ardoise quote invoice``: issue an invoice from an accepted quote and print its number."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ardoise.invoicing.models import DocumentType, Invoice
from ardoise.quotes.models import QuoteStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("quote", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def failure(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        run(*args)
    return raised.value


def test_deposit_percent_prints_the_number(accepted_quote):
    number = run("invoice", "D-2026-0001", "--deposit", "30%")
    invoice = Invoice.objects.get(number=number)
    assert invoice.type_code == DocumentType.DEPOSIT_INVOICE
    assert invoice.total_with_vat == (accepted_quote.total_with_vat * Decimal("0.3")).quantize(Decimal("0.01"))


def test_deposit_amount_including_vat(accepted_quote):
    number = run("invoice", "D-2026-0001", "--deposit-amount", "1 000,00", "--including-vat")
    assert Invoice.objects.get(number=number).total_with_vat == Decimal("1000.00")


def test_progress_then_final_closes_the_quote(accepted_quote):
    progress = run("invoice", "D-2026-0001", "--progress", "50", "--line", "1=80%")
    final = run("invoice", "D-2026-0001", "--final")
    invoices = Invoice.objects.filter(number__in=[progress, final])
    assert sum((invoice.total_with_vat for invoice in invoices), Decimal("0")) == accepted_quote.total_with_vat
    accepted_quote.refresh_from_db()
    assert accepted_quote.status == QuoteStatus.INVOICED


def test_full_invoice(accepted_quote):
    number = run("invoice", "D-2026-0001", "--full")
    assert Invoice.objects.get(number=number).total_with_vat == accepted_quote.total_with_vat


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["D-9999-0001", "--full"], "Aucun devis n° D-9999-0001"),
        (["D-2026-0001", "--deposit", "trente"], "Le pourcentage « trente » est invalide"),
        (["D-2026-0001", "--deposit", "0"], "pourcentage d'acompte"),
        (["D-2026-0001", "--deposit-amount", "1e3"], "Le montant « 1e3 » est invalide"),
        (["D-2026-0001", "--deposit-amount", "999999"], "dépasse ce qui reste à facturer"),
        (["D-2026-0001", "--deposit", "30", "--including-vat"], "--including-vat ne s'emploie"),
        (["D-2026-0001", "--progress", "50", "--line", "9=10"], "de 1 à 3"),
        (["D-2026-0001", "--final", "--line", "1=10"], "--line ne s'emploie"),
    ],
)
def test_bad_input_gives_a_french_error(accepted_quote, args, expected):
    error = failure("invoice", *args)
    assert expected in str(error)
    assert error.returncode == 2
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "Indiquez l'une de ces options"),
        (["--deposit", "30", "--final"], "s'excluent"),
    ],
)
def test_usage_errors_exit_2_in_french(args, expected):
    ardoise = Path(sys.executable).parent / "ardoise"
    result = subprocess.run(
        [str(ardoise), "quote", "invoice", "D-2026-0001", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
