"""Time the dashboard, the invoice list and every report on 100,000 invoices, against a trivial page.

``scale_data.py`` fills each database once with one organisation: 5,000
customers, 100,000 invoices and credit notes, 300,000 payments. Each page is
then requested through the Django test client, logged in as the
organisation's user, exactly as a browser would get it (middleware, session,
template): two warm-up requests, then the median of ``--runs`` requests. The
trivial page is the reports' index, which reads no business data; the target
is every page within 10 times it on PostgreSQL.

Each database runs in its own process:

- SQLite: the file ardoise.sqlite3 in ``--sqlite-dir``, kept between runs (it is also the
  ``ARDOISE_VAR_DIR`` of both processes, for the collected static files);
- PostgreSQL: the database of ``--postgres-url`` (default ``$BENCH_SCALE_POSTGRES_URL`` or
  ``postgres://postgres@127.0.0.1:5432/bench_scale``), kept between runs too.

Either is filled when it contains no bench organisation, or again with
``--regenerate``. Run from the repository root with ``make bench``, or
``.venv/bin/python bench/bench_scale.py --runs 9``; ``--only sqlite`` or
``--only postgresql`` measures one database; ``--explain PAGE`` prints the
page's queries with their times instead (and on PostgreSQL their plans).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_scale"
DEFAULT_SQLITE_DIR = str(Path(tempfile.gettempdir()) / "ardoise-bench-scale")
TRIVIAL = "trivial page (reports index)"
WARM_UP = 2


def pages(customer_id: int, today: Any) -> list[tuple[str, str | Callable[[int], str]]]:
    """Return (name, URL) of every timed page, the trivial page first; a URL may depend on the request's number."""
    past = (today - datetime.timedelta(days=200)).isoformat()
    history = (today - datetime.timedelta(days=4 * 365)).isoformat()
    return [
        (TRIVIAL, "/rapports/"),
        ("dashboard", "/"),
        ("invoice list", "/factures/"),
        ("invoice list, page 200", "/factures/?page=200"),
        ("invoice list, overdue", "/factures/?etat=overdue"),
        ("invoice list, partly paid", "/factures/?etat=partially_paid"),
        ("invoice list, search", "/factures/?q=Martin"),
        ("outstanding per customer", "/rapports/encours/"),
        ("outstanding, one customer", "/rapports/encours/?client=%d" % customer_id),
        ("aging, today", "/rapports/balance-agee/"),
        ("aging, as of %s" % past, "/rapports/balance-agee/?date=%s" % past),
        ("revenue by month", "/rapports/chiffre-affaires/?regroupement=mois"),
        ("revenue by quarter", "/rapports/chiffre-affaires/?periode=annee&regroupement=trimestre"),
        ("revenue by year", "/rapports/chiffre-affaires/?du=%s&au=%s&regroupement=annee" % (history, today)),
        ("revenue by customer", "/rapports/chiffre-affaires/?regroupement=client"),
        ("revenue by product", "/rapports/chiffre-affaires/?regroupement=produit"),
        ("receipts per month", "/rapports/encaissements/"),
        ("DSO", "/rapports/dso/"),
        ("VAT, débits and encaissements", "/rapports/tva/"),
        ("VAT, last 12 months", "/rapports/tva/?periode=12-mois"),
        ("customer statement", "/rapports/releve/?client=%d" % customer_id),
        ("customer statement PDF", "/rapports/releve/%d/pdf/" % customer_id),
        # The default is this month; this year is the longest usual period, about 1,700 lines for
        # the largest customer.
        ("customer statement, this year", "/rapports/releve/?client=%d&periode=annee" % customer_id),
        ("statement PDF, this year", "/rapports/releve/%d/pdf/?periode=annee" % customer_id),
        # A statement asked for again comes from the PDF cache: the two rows above measure that.
        # A user usually asks for one once, so each request below ends the period a day earlier,
        # a document neither the cache nor Typst has seen.
        ("statement PDF, a new month", _moving_end(customer_id, month_start(today, 1), today, 30)),
        ("statement PDF, a new year", _moving_end(customer_id, today.replace(month=1, day=1), today, 0)),
    ]


def month_start(day: Any, months_back: int) -> Any:
    """Return the first day of the month ``months_back`` months before ``day``'s."""
    first = day.replace(day=1)
    for _ in range(months_back):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def _moving_end(customer_id: int, start: Any, today: Any, length: int) -> Callable[[int], str]:
    """Return the address of request ``n``: a statement from ``start``, ending ``n`` days before its usual end.

    The usual end is ``length`` - 1 days after ``start`` (a whole month), or ``today`` when ``length`` is 0.
    """
    last = start + datetime.timedelta(days=length - 1) if length else today

    def address(number: int) -> str:
        end = last - datetime.timedelta(days=number)
        return "/rapports/releve/%d/pdf/?du=%s&au=%s" % (customer_id, start.isoformat(), end.isoformat())

    return address


def setup(database: str, url: str, sqlite_dir: str, regenerate: bool) -> Any:
    """Set Django up on ``database``, fill it if needed; return the bench organisation."""
    if database == "postgresql":
        os.environ["DATABASE_URL"] = url
        prepare_postgres_database(url, regenerate)
    else:
        os.environ.pop("DATABASE_URL", None)
        if regenerate:
            for suffix in ("", "-wal", "-shm"):
                Path(sqlite_dir, "ardoise.sqlite3" + suffix).unlink(missing_ok=True)
    os.environ["ARDOISE_VAR_DIR"] = sqlite_dir
    Path(sqlite_dir).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scale_data

    scale_data.setup_django()
    from django.core.management import call_command

    from ardoise.accounts.models import Organisation

    call_command("migrate", verbosity=0)
    # Pages link their styles through the manifest, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    organisation = Organisation.objects.filter(name=scale_data.ORGANISATION_NAME).first()
    if organisation is None:
        print("filling the %s database, once" % database, file=sys.stderr, flush=True)
        organisation = scale_data.generate(verbose=True)
    return organisation


def prepare_postgres_database(url: str, regenerate: bool) -> None:
    """Create the bench database when it is missing; drop it first when ``regenerate``."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if regenerate:
            admin.execute('DROP DATABASE IF EXISTS "%s"' % name)
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute('CREATE DATABASE "%s"' % name)


def client_for(organisation: Any) -> Any:
    from django.test import Client

    from ardoise.accounts.models import Membership

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(Membership.objects.filter(organisation=organisation).order_by("id").first().user)
    return client


def largest_customer(organisation: Any) -> int:
    from django.db.models import Count

    from ardoise.invoicing.models import Invoice

    row = (
        Invoice.objects.filter(organisation=organisation)
        .values("customer_id")
        .annotate(count=Count("id"))
        .order_by("-count")
        .first()
    )
    return row["customer_id"]


def measure(database: str, url: str, sqlite_dir: str, runs: int, regenerate: bool) -> dict[str, Any]:
    """Return, per page, the median milliseconds and the number of SQL queries of one request."""
    from django.db import connection
    from django.utils import timezone

    organisation = setup(database, url, sqlite_dir, regenerate)
    client = client_for(organisation)
    results: dict[str, Any] = {}
    for name, address in pages(largest_customer(organisation), timezone.localdate()):
        numbers = iter(range(WARM_UP + 1 + runs))

        def next_address(address: str | Callable[[int], str] = address, numbers: Any = numbers) -> str:
            return address(next(numbers)) if callable(address) else address

        for _ in range(WARM_UP):
            address_now = next_address()
            response = client.get(address_now)
            if response.status_code != 200:
                raise RuntimeError("%s returned status %s" % (address_now, response.status_code))
        counted: list[str] = []

        def count(execute: Any, sql: str, *rest: Any, counted: list[str] = counted) -> Any:
            counted.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            client.get(next_address())
        times = []
        for _ in range(runs):
            address_now = next_address()
            start = time.perf_counter()
            client.get(address_now)
            times.append((time.perf_counter() - start) * 1000)
        results[name] = {"ms": statistics.median(times), "queries": len(counted)}
    return results


def explain(database: str, url: str, sqlite_dir: str, page: str) -> None:
    """Print the queries of one page with their times; on PostgreSQL, with EXPLAIN ANALYZE of the slow ones."""
    from django.db import connection
    from django.utils import timezone

    organisation = setup(database, url, sqlite_dir, False)
    client = client_for(organisation)
    address = dict(pages(largest_customer(organisation), timezone.localdate()))[page]
    if callable(address):
        address = address(0)
    for _ in range(WARM_UP):
        client.get(address)
    timed: list[tuple[float, str, Any]] = []

    def timer(execute: Any, sql: str, params: Any, *rest: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, *rest)
        finally:
            timed.append(((time.perf_counter() - start) * 1000, sql, params))

    import cProfile
    import pstats

    profile = cProfile.Profile()
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        profile.enable()
        client.get(address)
        profile.disable()
        total = (time.perf_counter() - start) * 1000
    pstats.Stats(profile).sort_stats("cumulative").print_stats("ardoise/", 40)
    print("%s: %.1f ms, %d queries, %.1f ms in SQL" % (page, total, len(timed), sum(row[0] for row in timed)))
    for spent, sql, params in sorted(timed, key=lambda row: -row[0]):
        print("\n%6.1f ms  %s  %r" % (spent, sql[:3000], params))
        if connection.vendor == "postgresql" and spent > 10 and sql.lstrip().startswith(("SELECT", "WITH")):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed requests per page, after %d warm-up" % WARM_UP)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_SCALE_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--sqlite-dir", default=DEFAULT_SQLITE_DIR)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--regenerate", action="store_true", help="drop and fill the databases again")
    parser.add_argument("--explain", metavar="PAGE", help="print the queries of one page instead")
    parser.add_argument("--measure", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.explain:
        explain(args.only or "postgresql", args.postgres_url, args.sqlite_dir, args.explain)
        return 0
    if args.measure:
        result = measure(args.measure, args.postgres_url, args.sqlite_dir, args.runs, args.regenerate)
        print(json.dumps(result))
        return 0

    results: dict[str, dict[str, Any]] = {}
    for database in ("sqlite", "postgresql"):
        if args.only and database != args.only:
            continue
        command = [sys.executable, __file__, "--measure", database, "--runs", str(args.runs)]
        command += ["--postgres-url", args.postgres_url, "--sqlite-dir", args.sqlite_dir]
        if args.regenerate:
            command.append("--regenerate")
        done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            return done.returncode
        results[database] = json.loads(done.stdout.strip().splitlines()[-1])

    names = list(next(iter(results.values())))
    print("\nPages on 100,000 documents and 300,000 payments (median of %d requests, ms)" % args.runs)
    header = f"{'page':<36}"
    for database in results:
        header += f" {database + ' ms':>14} {'×trivial':>9} {'queries':>8}"
    print(header)
    over = []
    for name in names:
        line = f"{name:<36}"
        for database, figures in results.items():
            ratio = figures[name]["ms"] / figures[TRIVIAL]["ms"]
            line += f" {figures[name]['ms']:>14.1f} {ratio:>8.1f}× {figures[name]['queries']:>8}"
            if database == "postgresql" and ratio > 10:
                over.append(name)
        print(line)
    if "postgresql" in results:
        print("\nPages above 10× the trivial page on PostgreSQL: %s" % (", ".join(over) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
