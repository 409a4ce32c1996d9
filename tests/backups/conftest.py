"""Installations in their own folder and database, driven through the ``ardoise`` command like a user would.

Restores replace a whole database, so they run in child processes against
SQLite files or PostgreSQL databases created for the test (named
``backups_*``), never against the test database.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

sqlite_installations_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs in the SQLite pass: it uses installations of its own"
)

POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


@dataclass
class Installation:
    """An Ardoise installation: a var folder, and a PostgreSQL database when ``database_url`` is set."""

    var_dir: Path
    database_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        environment.update(ARDOISE_VAR_DIR=str(self.var_dir), ARDOISE_SECRET_KEY="tests-only-secret-key")
        environment.pop("ARDOISE_BACKUP_PASSPHRASE", None)
        if self.database_url:
            environment["DATABASE_URL"] = self.database_url
        environment.update(self.extra_env)
        return environment

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "ardoise.cli", *arguments], capture_output=True, text=True, env=self.env()
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                "ardoise %s failed:\n%s\n%s" % (" ".join(arguments), completed.stdout, completed.stderr)
            )
        return completed

    def popen(self, *arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "ardoise.cli", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "ardoise.sqlite3"

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a read query on the installation's database, SQLite or PostgreSQL."""
        if self.database_url:
            with psycopg.connect(self.database_url) as connection:
                return [tuple(row) for row in connection.execute(sql).fetchall()]
        connection = sqlite3.connect(self.sqlite_path)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_DSN, autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database named ``backups_<random>`` and return its URL; drop it afterwards."""
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = "backups_%s" % uuid.uuid4().hex[:10]
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
        connection.execute('CREATE DATABASE "%s"' % name)
    try:
        yield "postgres://postgres@127.0.0.1:5432/%s" % name
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as connection:
            connection.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


@pytest.fixture(scope="session")
def demo_installation(tmp_path_factory) -> Installation:
    """A SQLite installation with the demo data: issued invoices, a credit note, receipts and payments."""
    installation = Installation(tmp_path_factory.mktemp("demo"))
    installation.run("migrate", "--noinput", "-v0")
    installation.run("setup", "--demo")
    return installation


@pytest.fixture(scope="session")
def demo_archive(demo_installation, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("demo-archive")
    demo_installation.run("backup", "--output", str(output))
    (archive,) = output.glob("ardoise-backup-*.tar.gz")
    return archive


@pytest.fixture
def archive_copy(demo_archive, tmp_path) -> Path:
    """A copy of the demo archive that the test may damage."""
    copy = tmp_path / demo_archive.name
    shutil.copyfile(demo_archive, copy)
    return copy


@pytest.fixture
def empty_installation(tmp_path) -> Installation:
    return Installation(tmp_path / "target")


@pytest.fixture(autouse=True)
def without_daily_backup():
    """Keep the daily backup job registered: these tests are about it."""
    yield


@pytest.fixture
def invoiced_quote(organisation, customer, owner):
    """Version 2 of a quote with a charge on its total, invoiced by a 30 % deposit and the final invoice."""
    from ardoise.quotes import billing
    from ardoise.quotes.billing_models import BillingKind
    from ardoise.quotes.models import Quote, QuoteLine, QuoteSettings
    from ardoise.quotes.services import accept, issue, revise, save_draft

    day = datetime.date(2026, 12, 4)
    QuoteSettings.objects.create(organisation=organisation, validity_days=45, default_conditions="Sous 4 semaines.")
    travel = {"is_charge": True, "amount": "45.00", "reason": "Déplacement", "vat_category": "S", "vat_rate": "20.00"}
    quote = Quote(organisation=organisation, customer=customer, document_adjustments=[travel])
    lines = [
        QuoteLine(name="Pose de carrelage", quantity=Decimal("12.5"), unit_price=Decimal("65"), vat_rate=Decimal("20")),
        QuoteLine(name="Isolation", quantity=Decimal("3"), unit_price=Decimal("333.33"), vat_rate=Decimal("5.5")),
    ]
    first = issue(save_draft(quote, lines), today=day)
    quote = accept(issue(revise(first), today=day), owner, name="M. Martin")
    billing.issue_from_quote(quote, billing.BillingChoice(BillingKind.DEPOSIT, percent=Decimal("30")), today=day)
    billing.issue_from_quote(quote, billing.BillingChoice(BillingKind.FINAL), today=day)
    quote.refresh_from_db()
    return quote
