"""Shared fixtures: three people (owner, team member, outsider) and a ready organisation."""

from __future__ import annotations

import copy
import os
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ardoise.accounts.models import Membership, Organisation, Role, User
from ardoise.catalogue.models import Product
from ardoise.customers.models import Customer


@pytest.fixture(autouse=True)
def _fast_tests_and_tmp_outbox(settings, tmp_path):
    # Password hashing at production strength costs half a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"
    # The daily backup job is registered like any other: keep its archives out of var/.
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_SECOND_DIR = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test renders its own PDFs; tests/pdf/test_render.py turns the cache on where it checks it.
    settings.CACHES = {**settings.CACHES, "pdf": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(autouse=True, scope="session")
def _huey_runs_tasks_at_once():
    """Run Huey tasks inside the test, when they are queued; the worker tests start a real worker."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


def make_organisation(name: str = "Atelier Dupont SARL", **fields) -> Organisation:
    defaults = dict(
        legal_form="SARL",
        share_capital=Decimal("10000.00"),
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
        phone="04 78 00 00 00",
    )
    defaults.update(fields)
    return Organisation.objects.create(name=name, **defaults)


def make_user(email: str, organisation: Organisation | None, role: str = Role.MEMBER) -> User:
    user = User.objects.create_user(username=email, email=email, password="motdepasse-solide-42")
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def december_2026() -> Iterator[None]:
    """Run the test from 10 December 2026, 10:00 in Paris, with the clock ticking.

    For tests that issue documents today and expect what that month gives: the numbers
    F-2026-0001 onwards, a due date still to come, a payment deadline past the legal limit.
    """
    import datetime
    import zoneinfo

    import time_machine

    start = datetime.datetime(2026, 12, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture
def organisation(db) -> Organisation:
    return make_organisation()


@pytest.fixture
def owner(organisation) -> User:
    return make_user("alice@atelier-dupont.fr", organisation, Role.OWNER)


@pytest.fixture
def member(organisation) -> User:
    return make_user("bob@atelier-dupont.fr", organisation)


@pytest.fixture
def other_organisation(db) -> Organisation:
    return make_organisation("Concurrent SAS", siren="552100554", siret="55210055400013", vat_number="FR96552100554")


@pytest.fixture
def outsider(other_organisation) -> User:
    """Someone from another organisation, who must see nothing of ``organisation``."""
    return make_user("eve@concurrent.fr", other_organisation, Role.OWNER)


@pytest.fixture
def customer(organisation) -> Customer:
    return Customer.objects.create(
        organisation=organisation,
        name="Boulangerie Martin SAS",
        siren="552081317",
        siret="55208131766522",
        vat_number="FR03552081317",
        email="compta@boulangerie-martin.fr",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
    )


@pytest.fixture
def product(organisation) -> Product:
    return Product.objects.create(
        organisation=organisation,
        name="Développement web",
        unit="HUR",
        unit_price=Decimal("65.0000"),
        vat_rate=Decimal("20.00"),
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


def _on_postgresql() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Route PostgreSQL-only tests to the PostgreSQL pass.

    Without ``DATABASE_URL`` pointing at PostgreSQL they are skipped with a
    message on how to run them. In CI, ``.ci/run`` runs the suite a second time
    on PostgreSQL, so they are deselected from the SQLite pass instead.
    """
    if _on_postgresql():
        return
    postgres_only = [item for item in items if item.get_closest_marker("postgres")]
    if not postgres_only:
        return
    if os.environ.get("CI") == "true":
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: start PostgreSQL on 127.0.0.1:5432 and run `make test-postgres`")
    for item in postgres_only:
        item.add_marker(skip)


@pytest.fixture
def draft_invoice(organisation, customer, product):
    """A draft with two lines at 20 % and 5.5 %, ready to be issued."""
    from ardoise.invoicing.models import Invoice, InvoiceLine
    from ardoise.invoicing.services import normalise_line_vat, refresh_totals

    invoice = Invoice.objects.create(organisation=organisation, customer=customer)
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=0,
            product=product,
            name=product.name,
            quantity=Decimal("12.5"),
            unit=product.unit,
            unit_price=product.unit_price,
            vat_rate=Decimal("20.00"),
        ),
        InvoiceLine(
            invoice=invoice,
            position=1,
            name="Livre « Lumière »",
            quantity=Decimal("3"),
            unit="H87",
            unit_price=Decimal("28.4360"),
            vat_rate=Decimal("5.50"),
            is_service=False,
        ),
    ]
    for line in lines:
        normalise_line_vat(line, organisation)
        line.save()
    refresh_totals(invoice)
    return invoice


@pytest.fixture
def issued_invoice(draft_invoice):
    """``draft_invoice`` issued on 4 December 2026 as F-2026-0001."""
    import datetime

    from ardoise.invoicing.services import issue_invoice

    return issue_invoice(draft_invoice, today=datetime.date(2026, 12, 4))


@pytest.fixture
def sqlite_file_database(tmp_path: Path) -> Iterator[Path]:
    """Point the connections opened from now on at a copy of the test database in a real file.

    The test database of SQLite lives in memory with a shared cache. It locks
    tables instead of the file, ignores WAL and the busy timeout, and other
    processes cannot open it at all. The copy keeps every connection option of
    the settings (WAL, ``BEGIN IMMEDIATE``, busy timeout) and changes only the
    file, named as in ``ARDOISE_VAR_DIR``. New threads use the copy; the test's
    own connection stays on the in-memory database.
    """
    from django.db import connection, connections

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: run without DATABASE_URL")
    path = tmp_path / "ardoise.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()

    original = connections.settings["default"]
    file_settings = copy.deepcopy(original)
    file_settings["NAME"] = str(path)
    connections.settings["default"] = file_settings
    try:
        yield path
    finally:
        connections.settings["default"] = original


@pytest.fixture(autouse=True)
def without_daily_backup():
    """Leave out the daily backup job, which is due every day.

    Tests that run every due job (``run-scheduled``, sweeps) would otherwise
    back up the test database as well, which is slow and, on SQLite inside a
    test's transaction, never ends. tests/backups puts it back.
    """
    from ardoise.backups.tasks import DAILY_BACKUP
    from ardoise.jobs.registry import register, unregister

    unregister(DAILY_BACKUP.name)
    yield
    register(DAILY_BACKUP)
