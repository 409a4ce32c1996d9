"""Time issuing one invoice end to end: Ardoise (Typst) against the usual HTML route.

Both routes run the whole ``issue_invoice`` service on the same 10-line draft:
number, snapshot, CII XML, three-layer validation, PDF, Factur-X embedding,
hash chain and storage, in one transaction on a throwaway SQLite database.
Only the PDF step differs:

- Ardoise: Typst PDF/A-3b (``render_invoice_pdf``) while the XML is
  validated, then ``embed_facturx``;
- HTML route: a Django template rendered by WeasyPrint as PDF/A-3b
  (``HtmlRoute`` in ``bench_issue_pdf.py``), then the factur-x library's
  ``generate_from_binary``, the XML validated before the PDF is rendered.

Run from the repository root with ``make bench`` (which installs the bench
dependency group), or ``.venv/bin/python bench/bench_issue.py --runs 30``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from unittest import mock

os.environ["ARDOISE_VAR_DIR"] = tempfile.mkdtemp(prefix="ardoise-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from ardoise.accounts.models import Organisation  # noqa: E402
from ardoise.customers.models import Customer  # noqa: E402
from ardoise.invoicing import services  # noqa: E402
from ardoise.invoicing.models import Invoice, InvoiceLine  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_issue_pdf import HtmlRoute, make_logo, percentile  # noqa: E402

RATES = [Decimal("20.00"), Decimal("10.00"), Decimal("5.50")]


def make_draft(organisation: Organisation, customer: Customer, lines: int) -> Invoice:
    invoice = Invoice.objects.create(organisation=organisation, customer=customer, notes="Merci de votre confiance.")
    for index in range(lines):
        line = InvoiceLine(
            invoice=invoice,
            position=index,
            name="Prestation n° %d" % (index + 1),
            description="Analyse, développement et recette de la fonctionnalité.",
            quantity=Decimal("1.5") + index,
            unit="HUR",
            unit_price=Decimal("72.5000") + index,
            vat_rate=RATES[index % len(RATES)],
            discount_percent=Decimal("5") if index % 4 == 0 else Decimal("0"),
        )
        services.normalise_line_vat(line, organisation)
        line.save()
    services.refresh_totals(invoice)
    return invoice


def setup_organisation() -> tuple[Organisation, Customer]:
    call_command("migrate", verbosity=0)
    logo = make_logo()
    organisation = Organisation.objects.create(
        name="Atelier Dupont SARL",
        legal_form="SARL",
        share_capital=Decimal("10000"),
        address_line1="12 rue des Lilas",
        postcode="69003",
        city="Lyon",
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        rcs_city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        email="factures@atelier-dupont.fr",
        logo=logo,
        logo_content_type="image/png",
    )
    customer = Customer.objects.create(
        organisation=organisation,
        name="Boulangerie Martin SAS",
        siren="552081317",
        vat_number="FR03552081317",
        email="compta@boulangerie-martin.fr",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
    )
    return organisation, customer


def html_render_issued_files(route: HtmlRoute):  # type: ignore[no-untyped-def]
    """Return a replacement for ``render_issued_files`` that prints with WeasyPrint."""
    import facturx

    from ardoise.einvoice.cii import build_cii_xml
    from ardoise.einvoice.validation import validate_cii
    from ardoise.pdf.context import document_metadata

    def render(document, logo, logo_type):  # type: ignore[no-untyped-def]
        xml = build_cii_xml(document)
        if not validate_cii(xml).ok:
            raise RuntimeError("validation failed")
        pdf = facturx.generate_from_binary(
            route.render(document),
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=False,
            pdf_metadata=document_metadata(document),
            lang="fr-FR",
        )
        return pdf, xml

    return render


def time_issues(organisation: Organisation, customer: Customer, lines: int, runs: int) -> tuple[float, list[float]]:
    """Issue ``runs + 1`` drafts; return the first issue's time and the others', in milliseconds."""
    drafts = [make_draft(organisation, customer, lines) for _ in range(runs + 1)]
    times = []
    for draft in drafts:
        start = time.perf_counter()
        services.issue_invoice(draft)
        times.append((time.perf_counter() - start) * 1000)
    return times[0], times[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed issues per route, after the first one")
    parser.add_argument("--lines", type=int, default=10, help="lines per invoice")
    args = parser.parse_args()

    organisation, customer = setup_organisation()
    results = {"Ardoise (Typst)": time_issues(organisation, customer, args.lines, args.runs)}
    with mock.patch.object(services, "render_issued_files", html_render_issued_files(HtmlRoute(make_logo()))):
        results["HTML route (WeasyPrint)"] = time_issues(organisation, customer, args.lines, args.runs)

    print("Issue one %d-line invoice: number, XML, validation, PDF, Factur-X, storage" % args.lines)
    print(f"{'route':<26} {'first ms':>10} {'median ms':>10} {'p95 ms':>10} {'runs':>6}")
    for name, (first, times) in results.items():
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{name:<26} {first:>10.1f} {median:>10.1f} {p95:>10.1f} {len(times):>6}")
    ratio = statistics.median(results["HTML route (WeasyPrint)"][1]) / statistics.median(results["Ardoise (Typst)"][1])
    print(f"\nHTML route / Ardoise: {ratio:.1f}× (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
