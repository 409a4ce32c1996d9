"""Measure issue throughput: invoices per second with 1 and 20 concurrent workers.

Every worker is a thread with its own database connection that calls the
whole ``issue_invoice`` service (number, snapshot, CII XML, validation, Typst
PDF, Factur-X, hash chain, storage) on drafts of one organisation, the case
where numbering serialises the issuers. Each database runs in its own process:

- SQLite: a throwaway file with the settings' options (WAL, ``BEGIN IMMEDIATE``);
- PostgreSQL: the database of ``--postgres-url``, dropped and created again.

Run from the repository root with ``make bench``, or
``.venv/bin/python bench/bench_throughput.py --invoices 300``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ardoise_bench"
WORKER_COUNTS = (1, 20)


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute('DROP DATABASE IF EXISTS "%s"' % name)
        admin.execute('CREATE DATABASE "%s"' % name)


def measure(database: str, invoices: int, lines: int) -> dict[str, float]:
    """Set Django up on ``database``; return invoices per second and process CPU ms per invoice per worker count."""
    os.environ["ARDOISE_VAR_DIR"] = tempfile.mkdtemp(prefix="ardoise-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ardoise.settings")
    os.environ.setdefault("ARDOISE_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import django

    django.setup()
    from bench_issue import make_draft, setup_organisation

    from ardoise.einvoice.validation import warm_up
    from ardoise.integrity.services import verify
    from ardoise.invoicing.services import issue_invoice

    organisation, customer = setup_organisation()
    warm_up()
    issue_invoice(make_draft(organisation, customer, lines))  # compiles the Typst template

    rates = {}
    for workers in WORKER_COUNTS:
        draft_ids = [make_draft(organisation, customer, lines).pk for _ in range(invoices)]
        cpu_start = time.process_time()
        rates[str(workers)] = invoices / issue_with_workers(draft_ids, workers)
        rates["cpu_ms_%d" % workers] = (time.process_time() - cpu_start) * 1000 / invoices

    if not verify(organisation).ok:
        raise RuntimeError("the hash chain does not verify")
    return rates


def issue_with_workers(draft_ids: list[int], workers: int) -> float:
    """Issue the drafts from ``workers`` threads; return the elapsed seconds."""
    from django.db import connection

    from ardoise.invoicing.models import Invoice
    from ardoise.invoicing.services import issue_invoice

    pending = list(draft_ids)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    draft_id = pending.pop()
                issue_invoice(Invoice.objects.get(pk=draft_id))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError("%d issues failed, first: %r" % (len(errors), errors[0]))
    return elapsed


def run_child(database: str, args: argparse.Namespace) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database == "postgresql":
        recreate_postgres_database(args.postgres_url)
        env["DATABASE_URL"] = args.postgres_url
    command = [sys.executable, __file__, "--child", database, "--invoices", str(args.invoices)]
    command += ["--lines", str(args.lines)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit("%s run failed" % database)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=300, help="invoices issued per worker count")
    parser.add_argument("--lines", type=int, default=10, help="lines per invoice")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL database to drop and create (default: $BENCH_POSTGRES_URL or %s)" % DEFAULT_POSTGRES_URL,
    )
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child, args.invoices, args.lines)))
        return 0

    import psycopg

    results = {}
    try:
        results["postgresql"] = run_child("postgresql", args)
    except psycopg.OperationalError as error:
        print("PostgreSQL skipped, connection failed: %s" % error, file=sys.stderr)
    results["sqlite"] = run_child("sqlite", args)
    print("Issue throughput, one organisation, %d invoices of %d lines per run" % (args.invoices, args.lines))
    print("Load average at the end: %.1f (1 min), %d CPUs" % (os.getloadavg()[0], os.cpu_count() or 0))
    print(f"{'database':<12} {'1 worker /s':>12} {'20 workers /s':>14} {'CPU ms/invoice (20)':>20}")
    for database, rates in results.items():
        print(f"{database:<12} {rates['1']:>12.1f} {rates['20']:>14.1f} {rates['cpu_ms_20']:>20.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
