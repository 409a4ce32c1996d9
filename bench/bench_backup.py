"""Time ``ardoise backup``, ``backup verify`` and ``restore`` on a large database, SQLite and PostgreSQL.

Each engine gets an installation of its own, filled by ``bench/scale_data.py``
(by default 100,000 documents, 300,000 payments and 5,000 customers), then:

- backup: ``ardoise backup --output DIR`` on that installation;
- verify: ``ardoise backup verify ARCHIVE``. The generated data has no
  integrity chain (see scale_data.py), so the chain step reports every
  document as unchained and the command exits 1; the time still covers the
  whole check;
- restore: ``ardoise restore ARCHIVE`` into a new, empty installation of the
  same engine.

Every step is the real command in a child process, timed with a wall clock,
so Django's start-up (about 1 to 3 s) is included. PostgreSQL runs on
127.0.0.1:5432 (user postgres); it is skipped when unreachable. Run from the
repository root::

    .venv/bin/python bench/bench_backup.py [--invoices 100000 --payments 300000 --customers 5000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432/%s"


def environment(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ARDOISE_BACKUP_PASSPHRASE")}
    env.update(ARDOISE_VAR_DIR=str(var_dir), ARDOISE_SECRET_KEY="bench-only", ARDOISE_LOG_LEVEL="WARNING")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(arguments: list[str], env: dict[str, str], check: bool = True) -> float:
    started = time.perf_counter()
    completed = subprocess.run(arguments, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if check and completed.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (" ".join(arguments), completed.stdout, completed.stderr))
    return elapsed


def ardoise(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "ardoise.cli", *arguments]


def postgres_database(action: str, name: str) -> bool:
    sql = 'CREATE DATABASE "%s"' % name if action == "create" else 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name
    completed = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], capture_output=True, text=True
    )
    return completed.returncode == 0


def bench_engine(engine: str, work: Path, sizes: list[str]) -> dict[str, object]:
    names = []
    source_url = target_url = ""
    if engine == "postgresql":
        names = ["backups_bench_%s" % uuid.uuid4().hex[:8], "backups_bench_%s" % uuid.uuid4().hex[:8]]
        if not all(postgres_database("create", name) for name in names):
            return {}
        source_url, target_url = POSTGRES % names[0], POSTGRES % names[1]
    try:
        source = environment(work / engine / "source", source_url)
        fill = run([sys.executable, "bench/scale_data.py", "--migrate", *sizes], source)
        output = work / engine / "archives"
        backup = run(ardoise("backup", "--output", str(output)), source)
        (archive,) = output.glob("ardoise-backup-*")
        verify = run(ardoise("backup", "verify", str(archive)), source, check=False)
        restore = run(ardoise("restore", str(archive)), environment(work / engine / "target", target_url))
        return {
            "fill": fill,
            "backup": backup,
            "size": archive.stat().st_size,
            "verify": verify,
            "restore": restore,
        }
    finally:
        for name in names:
            postgres_database("drop", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    options = parser.parse_args()
    sizes = [
        "--invoices",
        str(options.invoices),
        "--payments",
        str(options.payments),
        "--customers",
        str(options.customers),
    ]

    rows = []
    with tempfile.TemporaryDirectory(prefix="ardoise-bench-backup-") as folder:
        for engine in options.engines.split(","):
            result = bench_engine(engine, Path(folder), sizes)
            if result:
                rows.append((engine, result))
            else:
                print("%s: skipped (PostgreSQL unreachable on 127.0.0.1:5432)" % engine)

    print("%s documents, %s payments, %s customers" % (options.invoices, options.payments, options.customers))
    print("| Engine | Backup | Archive size | Verify | Restore | Data generation |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for engine, result in rows:
        print(
            "| %s | %.1f s | %.1f MB | %.1f s | %.1f s | %.0f s |"
            % (
                engine,
                result["backup"],
                result["size"] / 1_000_000,
                result["verify"],
                result["restore"],
                result["fill"],
            )
        )


if __name__ == "__main__":
    main()
