"""The PostgreSQL session settings Ardoise adds to its connections, and how a URL overrides them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection


def _options_for(url: str) -> str:
    """Return the connection options the settings build from ``url``, read in a fresh interpreter."""
    script = (
        "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    environment = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ardoise.settings"}
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)["options"]


def test_connection_options_turn_jit_and_workers_off():
    options = _options_for("postgres://ardoise@127.0.0.1:5432/ardoise")

    assert options == "-c jit=off -c max_parallel_workers_per_gather=0"


def test_url_options_override_defaults():
    options = _options_for("postgres://ardoise@127.0.0.1:5432/ardoise?options=-c%20max_parallel_workers_per_gather%3D2")

    assert options.endswith("-c max_parallel_workers_per_gather=2")
    assert options.index("max_parallel_workers_per_gather=0") < options.index("max_parallel_workers_per_gather=2")


@pytest.mark.postgres
@pytest.mark.django_db
def test_connection_has_session_settings():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]

    assert (workers, jit) == ("0", "off")
