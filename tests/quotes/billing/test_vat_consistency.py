"""Tools that read issued invoices agree with the cumulative VAT of a quote's invoices, cent for cent.

The quote is one line of 33.33 € HT at 20 %: its VAT is 6.67 € (6.666).
A deposit of 16.67 € HT charges 3.33 € of VAT. The final invoice charges the
16.66 € HT left and 6.67 − 3.33 = 3.34 € of VAT, one cent above its own
base × rate (3.332 rounds to 3.33).
"""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from ardoise.quotes import billing
from ardoise.quotes.billing import BillingChoice
from ardoise.quotes.billing_models import BillingKind
from ardoise.quotes.models import Quote, QuoteLine
from ardoise.quotes.services import accept, issue, save_draft
from ardoise.reports import queries
from ardoise.reports.periods import Period

from .conftest import DAY

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def invoices(organisation, customer, owner):
    """The deposit and the final invoice of the 33.33 € quote, both issued."""
    quote = save_draft(
        Quote(organisation=organisation, customer=customer),
        [QuoteLine(name="Audit", quantity=D("1"), unit_price=D("33.33"), vat_rate=D("20"))],
    )
    quote = accept(issue(quote, today=DAY), owner, name="M. Martin")
    deposit = billing.issue_from_quote(quote, BillingChoice(BillingKind.DEPOSIT, amount=D("16.67")), today=DAY)
    final = billing.issue_from_quote(quote, BillingChoice(BillingKind.FINAL), today=DAY)
    return deposit, final


def run(*arguments: str) -> str:
    output = io.StringIO()
    call_command(*arguments, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def test_final_invoice_vat_is_one_cent_off(invoices):
    deposit, final = invoices

    assert (deposit.total_without_vat, deposit.total_vat) == (D("16.67"), D("3.33"))
    assert (final.total_without_vat, final.total_vat) == (D("16.66"), D("3.34"))
    assert (final.total_without_vat * D("0.20")).quantize(D("0.01")) == D("3.33")


def test_verify_passes(invoices, organisation):
    output = run("verify", "--organisation", str(organisation.pk))

    assert "chaîne intacte" in output


def test_invoice_totals_reports_no_gap(invoices, tmp_path):
    _deposit, final = invoices
    path = tmp_path / "solde.xml"
    path.write_bytes(bytes(final.files.xml))

    report = json.loads(run("invoice", "totals", str(path), "--json"))

    assert report["totals"]["BT-110"] == "3.34"
    assert report["totals"]["BT-112"] == "20.00"
    assert report["differences_with_file"] == {}


def test_fec_vat_matches_invoices(invoices, organisation, tmp_path):
    run("export", "--organisation", str(organisation.pk), "fec", "--year", "2026", "--output", str(tmp_path))
    (path,) = tmp_path.glob("*FEC20261231.txt")

    checked = run("export", "fec", "--check", str(path))

    assert checked.startswith("FEC conforme")
    rows = [line.split("\t") for line in path.read_text(encoding="iso-8859-15").splitlines()]
    header, body = rows[0], rows[1:]
    account, credit = header.index("CompteNum"), header.index("Credit")
    vat_credits = [D(row[credit].replace(",", ".") or "0") for row in body if row[account] == "44571"]
    assert sorted(vat_credits) == [D("3.33"), D("3.34")]


def test_vat_report_matches_invoices(invoices, organisation):
    report = queries.vat_collected(organisation, Period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)))

    assert report.total.debits_base == D("33.33")
    assert report.total.debits_vat == D("6.67")
