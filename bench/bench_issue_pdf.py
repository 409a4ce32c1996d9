"""Time the PDF part of issuing an invoice: Typst against the usual HTML route.

Both routes print the same 10-line invoice from the same context, with the
same font files and the SEPA QR code that issuing prints, and embed the same
CII XML with ``embed_facturx``:

- Typst: ``render_invoice_pdf`` (PDF/A-3b), then ``embed_facturx``;
- HTML: ``bench/templates/invoice.html`` rendered by Django's template engine,
  WeasyPrint with ``pdf_variant="pdf/a-3b"``, then ``embed_facturx``.

Every run changes the invoice number and payment reference, so that Typst's
memoisation cannot return the previous run's layout or QR code. The first
call of each route is reported apart: it loads fonts and compiles the template.

Run from the repository root, after ``uv sync --group bench``::

    .venv/bin/python bench/bench_issue_pdf.py --runs 50
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
django.setup()

from django.template import Context, Engine  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from ardoise.core.document import InvoiceDocument  # noqa: E402
from ardoise.core.sepa_qr import document_epc_qr_svg, svg_data_uri  # noqa: E402
from ardoise.einvoice.cii import build_cii_xml  # noqa: E402
from ardoise.pdf.context import invoice_context  # noqa: E402
from ardoise.pdf.facturx import embed_facturx  # noqa: E402
from ardoise.pdf.fonts import FONT_FILES  # noqa: E402
from ardoise.pdf.render import render_invoice_pdf  # noqa: E402
from ardoise.pdf.samples import sample_invoice  # noqa: E402

BENCH_DIRECTORY = Path(__file__).parent
FONT_WEIGHTS = {"Regular": 400, "Semibold": 600, "Bold": 700}


def make_logo() -> bytes:
    """Draw a small PNG logo with transparency, like one an organisation uploads."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 190, 190), fill=(35, 80, 122, 255))
    font = ImageFont.truetype(str(FONT_FILES[-1]), 60)
    draw.text((220, 60), "Atelier Dupont", fill=(29, 39, 51, 255), font=font)
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


class HtmlRoute:
    """Render invoices through Django templates and WeasyPrint, reusing what can be reused."""

    def __init__(self, logo: bytes) -> None:
        engine = Engine(dirs=[str(BENCH_DIRECTORY / "templates")], autoescape=True)
        self.template = engine.get_template("invoice.html")
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, object] = {}
        self.logo_url = "data:image/png;base64," + base64.b64encode(logo).decode()
        self.fonts = [{"url": path.as_uri(), "weight": FONT_WEIGHTS[path.stem.split("-")[1]]} for path in FONT_FILES]

    def render(self, doc: InvoiceDocument) -> bytes:
        context = invoice_context(doc)
        payment_qr = document_epc_qr_svg(doc)
        context.update(
            logo_url=self.logo_url,
            fonts=self.fonts,
            show_discount=any(line["discount"] for line in context["lines"]),
            payment_qr_url=svg_data_uri(payment_qr) if payment_qr else "",
        )
        html = self.template.render(Context(context))
        return HTML(string=html, base_url=str(BENCH_DIRECTORY)).write_pdf(
            font_config=self.font_config, pdf_variant="pdf/a-3b", cache=self.image_cache
        )


def time_runs(step: Callable[[int], object], runs: int) -> tuple[float, list[float], list[float]]:
    """Return the first call's wall time, then the wall and CPU times of the following calls, in milliseconds.

    Both routes run on one thread, so their CPU time is close to their wall time
    on an idle machine and stays steady when other processes compete for the cores.
    """
    wall, cpu = [], []
    for run in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        step(run)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall[0], wall[1:], cpu[1:]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per route, after the first call")
    parser.add_argument("--lines", type=int, default=10, help="invoice lines")
    parser.add_argument("--out", type=Path, default=BENCH_DIRECTORY / "out", help="folder for the sample PDFs")
    args = parser.parse_args()

    base = sample_invoice(args.lines)
    xml = build_cii_xml(base)
    logo = make_logo()
    html_route = HtmlRoute(logo)

    def invoice(run: int) -> InvoiceDocument:
        number = f"F-2026-{run:05d}"
        # The reference is in the QR code too, so that each run draws a new code, as each issue does.
        return dataclasses.replace(base, number=number, payment_reference=number)

    def typst_render(run: int) -> bytes:
        return render_invoice_pdf(invoice(run), logo=logo, logo_format="png", payment_qr=True)

    # The first Typst call of the process creates the compiler and loads the fonts.
    results = {"Typst render": time_runs(typst_render, args.runs)}
    typst_pdf = typst_render(-1)
    results |= {
        "Factur-X embedding": time_runs(lambda run: embed_facturx(typst_pdf, xml, base), args.runs),
        "Typst + Factur-X": time_runs(lambda run: embed_facturx(typst_render(run), xml, base), args.runs),
        "WeasyPrint render": time_runs(lambda run: html_route.render(invoice(run)), args.runs),
        "WeasyPrint + Factur-X": time_runs(
            lambda run: embed_facturx(html_route.render(invoice(run)), xml, base), args.runs
        ),
    }

    print(f"{'route':<24} {'first ms':>10} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>10} {'runs':>6}")
    for name, (first, wall, cpu) in results.items():
        median, p95, cpu_median = statistics.median(wall), percentile(wall, 0.95), statistics.median(cpu)
        print(f"{name:<24} {first:>10.1f} {median:>10.1f} {p95:>10.1f} {cpu_median:>10.1f} {len(wall):>6}")
    typst_route, html_route_times = results["Typst + Factur-X"], results["WeasyPrint + Factur-X"]
    ratio = statistics.median(html_route_times[1]) / statistics.median(typst_route[1])
    cpu_ratio = statistics.median(html_route_times[2]) / statistics.median(typst_route[2])
    print(f"\nWeasyPrint route / Typst route: {ratio:.1f}× (median wall time), {cpu_ratio:.1f}× (median CPU time)")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "typst-facturx.pdf").write_bytes(embed_facturx(typst_render(0), xml, base))
    (args.out / "weasyprint-facturx.pdf").write_bytes(embed_facturx(html_route.render(invoice(0)), xml, base))
    print(f"Sample PDFs written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
