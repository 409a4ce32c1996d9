"""Generate, issue, render and queue the e-mails of many recurring invoices, against single-invoice issuing.

Each plan has the same 10-line template as ``bench_issue.py`` and one
occurrence due today, issued and sent automatically. The run discovers the
``recurring.generate`` units as a sweep does and executes them one by one in
this process: each copies the template into a draft, issues it (number, XML
validation, Typst PDF, Factur-X, hash chain) and creates and queues its
``recurring.send`` unit in the Huey queue. The e-mail's subject and body are
rendered for every invoice; nothing is handed to SMTP.

The baseline issues ``--baseline`` plain 10-line drafts with ``issue_invoice``
in the same process and database, as ``bench_issue.py`` does, before the
batch. On a shared machine the load changes during a long batch. So the
script also issues ``--probes`` plain drafts at each tenth of the batch and
compares the batch with the median of those probes, which ran in the same
conditions as the invoices around them. The table gives invoices per second,
the probes' median and the resident memory at each checkpoint (flat memory:
it does not grow with the batch).

    .venv/bin/python bench/bench_recurring.py --count 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recurring_bench .venv/bin/python bench/bench_recurring.py
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["ARDOISE_VAR_DIR"] = tempfile.mkdtemp(prefix="ardoise-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django

django.setup()

from bench_issue import make_draft, setup_organisation  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.utils import timezone  # noqa: E402

from ardoise.invoicing import services  # noqa: E402
from ardoise.invoicing.models import Invoice  # noqa: E402
from ardoise.jobs.models import JobUnit  # noqa: E402
from ardoise.jobs.services import claimable_ids, discover, execute_unit  # noqa: E402
from ardoise.mailing.services import default_body, default_subject  # noqa: E402
from ardoise.recurring.models import RecurringOccurrence, RecurringPlan  # noqa: E402
from ardoise.recurring.services import refresh_next  # noqa: E402
from ardoise.recurring.tasks import GENERATE_JOB, SEND  # noqa: E402


def rss_mib() -> float:
    """Return the current resident memory of this process, in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def make_plans(organisation, customer, count: int, day: datetime.date) -> None:
    template = make_draft(organisation, customer, 10)
    plans = []
    for number in range(count):
        # Each plan needs its own template draft: copy the first one, lines included.
        copy = Invoice.objects.get(pk=template.pk)
        copy.pk = None
        copy._state.adding = True
        copy.save()
        lines = list(template.lines.all())
        for line in lines:
            line.pk = None
            line.invoice = copy
        type(lines[0]).objects.bulk_create(lines)
        plans.append(
            RecurringPlan(
                organisation=organisation,
                customer=customer,
                template=copy,
                name="Abonnement %d" % number,
                frequency="monthly",
                start_date=day,
                end_date=day,
                auto_issue=True,
                auto_send=True,
            )
        )
    RecurringPlan.objects.bulk_create(plans, batch_size=500)
    for plan in RecurringPlan.objects.all():
        refresh_next(plan)
    Invoice.objects.filter(pk=template.pk).delete()


def time_single_issues(organisation, customer, count: int) -> list[float]:
    """Issue ``count`` plain 10-line drafts with ``issue_invoice`` and return the seconds of each issue.

    Creating the drafts is not timed.
    """
    timings = []
    for draft in [make_draft(organisation, customer, 10) for _ in range(count)]:
        start = time.perf_counter()
        services.issue_invoice(draft)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10000, help="recurring invoices (default 10000)")
    parser.add_argument("--baseline", type=int, default=30, help="single issues for the baseline (default 30)")
    parser.add_argument(
        "--probes", type=int, default=3, help="single issues timed at each tenth of the batch (default 3)"
    )
    options = parser.parse_args()

    from django.conf import settings

    settings.DEBUG = False
    organisation, customer = setup_organisation()
    day = timezone.localdate()

    # Baseline: the first issue compiles the schematrons and the Typst template; it is left out.
    baseline = time_single_issues(organisation, customer, options.baseline + 1)
    baseline_ms = statistics.median(baseline[1:]) * 1000

    make_plans(organisation, customer, options.count, day)
    start = time.perf_counter()
    discover(GENERATE_JOB, day)
    unit_ids = claimable_ids(GENERATE_JOB, timezone.now() + datetime.timedelta(seconds=1))
    discovery_s = time.perf_counter() - start

    checkpoints = []
    probes: list[float] = []
    probe_seconds = 0.0
    step = max(1, options.count // 10)
    done = 0
    rss_start = rss_mib()
    batch_start = time.perf_counter()
    for unit_id in unit_ids:
        outcome = execute_unit(unit_id)
        if outcome is None or outcome.status != "succeeded":
            print("unit %s failed: %s" % (unit_id, outcome.text if outcome else "not claimed"), file=sys.stderr)
            return 1
        invoice = (
            RecurringOccurrence.objects.select_related("invoice__organisation")
            .get(plan_id=int(outcome.unit.key.split(":")[1]))
            .invoice
        )
        default_subject(invoice)
        default_body(invoice)
        done += 1
        reset_queries()
        if done % step == 0:
            elapsed = time.perf_counter() - batch_start - probe_seconds
            probe_start = time.perf_counter()
            timings = time_single_issues(organisation, customer, options.probes)
            probe_seconds += time.perf_counter() - probe_start
            probes.extend(timings)
            checkpoints.append((done, elapsed, rss_mib(), statistics.median(timings) * 1000 if timings else 0.0))
    total_s = time.perf_counter() - batch_start - probe_seconds

    queued = JobUnit.objects.filter(job=SEND).count()
    per_invoice_ms = total_s / max(done, 1) * 1000
    print("Database: %s; %d recurring invoices; %d send units queued" % (connection.vendor, done, queued))
    print("Discovery of the due units: %.2f s" % discovery_s)
    print()
    print("| Invoices | Elapsed (s) | Invoices/s | Single issue probes, median (ms) | RSS (MiB) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for count, elapsed, rss, probe_ms in checkpoints:
        print("| %d | %.1f | %.1f | %.0f | %.0f |" % (count, elapsed, count / elapsed, probe_ms, rss))
    print()
    print(
        "Single issue (bench_issue.py method), median of %d before the batch: %.1f ms" % (options.baseline, baseline_ms)
    )
    print("Recurring, per invoice (generate + issue + render e-mail + queue): %.1f ms" % per_invoice_ms)
    print("Ratio to the baseline before the batch: %.2f× (target ≤ 1.5×)" % (per_invoice_ms / baseline_ms))
    if probes:
        probe_ms = statistics.median(probes) * 1000
        print("Single issue, median of the %d probes during the batch: %.1f ms" % (len(probes), probe_ms))
        print("Ratio to the probes: %.2f× (target ≤ 1.5×)" % (per_invoice_ms / probe_ms))
    print(
        "RSS: %.0f MiB before the batch, %.0f MiB at the end; peak RSS %.0f MiB"
        % (rss_start, rss_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
