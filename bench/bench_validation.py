"""Time the validation of one invoice: XSD, EN 16931 schematron, French BR-FR schematron.

Validation runs on every issue, so its cost is paid once per invoice. The
script builds the CII and the UBL of the same invoices and compiles the
stylesheets once, as a running server does. Then it times each layer alone,
and the whole ``validate_cii`` / ``validate_ubl`` call, which also parses the
XML and reads the SVRL reports. The invoices are the sample invoice of the
PDF benchmarks (three VAT rates, line and document discounts) with 1, 10 and
50 lines, to show how the time grows with the lines.

Run from the repository root::

    .venv/bin/python bench/bench_validation.py --runs 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
django.setup()

from lxml import etree  # noqa: E402

from ardoise.einvoice import validation  # noqa: E402
from ardoise.einvoice.cii import build_cii_xml  # noqa: E402
from ardoise.einvoice.ubl import build_ubl_xml  # noqa: E402
from ardoise.pdf.samples import sample_invoice  # noqa: E402

TARGET_MS = 10.0
SYNTAXES = {
    validation.CII: (build_cii_xml, validation.validate_cii),
    validation.UBL: (build_ubl_xml, validation.validate_ubl),
}


def measure(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Return the median and 95th percentile wall time, and the median CPU time, of ``runs`` calls, in ms.

    CPU time counts every thread of the process, so it stays close to the
    wall time of an idle machine when other processes compete for the cores.
    """
    wall = []
    cpu = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    wall.sort()
    return statistics.median(wall), wall[max(0, round(0.95 * runs) - 1)], statistics.median(cpu)


def layer_actions(xml: bytes, syntax: str) -> dict[str, Callable[[], object]]:
    """Return one call per layer, on a tree and a Saxon node parsed beforehand."""
    validators = validation._load_validators()
    root = etree.fromstring(xml)
    node = validators.processor.parse_xml(xml_text=xml.decode())
    en16931, br_fr = (
        (validators.ubl_en16931, validators.ubl_br_fr)
        if syntax == validation.UBL
        else (validators.en16931, validators.br_fr)
    )
    return {
        "XSD": lambda: validators.check_xsd(root, syntax),
        "EN 16931 schematron": lambda: validation._transform(en16931, node),
        "BR-FR schematron": lambda: validation._transform(br_fr, node),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="number of timed calls per row (default 200)")
    args = parser.parse_args()

    started = time.perf_counter()
    validation.warm_up()
    print("Compiling the XSDs and the four schematrons: %.0f ms" % ((time.perf_counter() - started) * 1000))

    rows = []
    medians = {}
    for line_count in (1, 10, 50):
        doc = sample_invoice(line_count)
        for syntax, (build, validate) in SYNTAXES.items():
            xml = build(doc)
            report = validate(xml)
            if not report.ok:
                print("The %d-line %s does not validate: %s" % (line_count, syntax, report.messages()))
                return 1
            label = "%s, %d line%s" % (syntax.upper(), line_count, "" if line_count == 1 else "s")
            for layer, action in layer_actions(xml, syntax).items():
                rows.append((label, layer, *measure(action, args.runs)))
            timings = measure(lambda xml=xml, validate=validate: validate(xml), args.runs)
            rows.append((label, "whole validation", *timings))
            medians[label] = timings[0]

    load = os.getloadavg()[0]
    print("\n%d runs per row, times in ms; load average %.1f on %d cores\n" % (args.runs, load, os.cpu_count() or 0))
    print("| Invoice | Step | Median | p95 | Median CPU |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, step, median, p95, cpu in rows:
        name = "**whole validation**" if step == "whole validation" else step
        print("| %s | %s | %.1f | %.1f | %.1f |" % (label, name, median, p95, cpu))
    print("\nTarget: whole validation <= %.0f ms median." % TARGET_MS)
    for label, median in medians.items():
        print("  %s: %.1f ms, %s" % (label, median, "met" if median <= TARGET_MS else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
