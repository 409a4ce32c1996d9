"""Which archives of a backup folder to keep: the newest of each of the last N days, weeks and months."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from ardoise.backups.archive import ARCHIVE_NAME


@dataclass(frozen=True)
class Retention:
    daily: int
    weekly: int
    monthly: int


def archive_day(path: Path) -> datetime.date | None:
    match = ARCHIVE_NAME.match(path.name)
    if match is None:
        return None
    digits = match.group(1)
    return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def archives(folder: Path) -> list[Path]:
    """List the finished archives of ``folder``, newest first (temporary files are never listed)."""
    if not folder.is_dir():
        return []
    found = [path for path in folder.iterdir() if path.is_file() and ARCHIVE_NAME.match(path.name)]
    return sorted(found, key=lambda path: path.name, reverse=True)


def to_keep(paths: list[Path], retention: Retention) -> set[Path]:
    """Choose the archives to keep among ``paths`` (newest first, as ``archives`` lists them).

    The newest archive of each of the ``daily`` most recent days that have
    one is kept, likewise for ISO weeks and for months. An archive may count
    for a day, a week and a month at once.
    """
    kept: set[Path] = set()
    periods: dict[str, list[object]] = {"daily": [], "weekly": [], "monthly": []}
    limits = {"daily": retention.daily, "weekly": retention.weekly, "monthly": retention.monthly}
    for path in paths:
        day = archive_day(path)
        assert day is not None
        keys = {
            "daily": day,
            "weekly": day.isocalendar()[:2],
            "monthly": (day.year, day.month),
        }
        for period, key in keys.items():
            seen = periods[period]
            if key in seen:
                continue
            seen.append(key)
            if len(seen) <= limits[period]:
                kept.add(path)
    return kept


def rotate(folder: Path, retention: Retention) -> list[Path]:
    """Delete the archives of ``folder`` that the retention does not keep; return the deleted ones."""
    paths = archives(folder)
    kept = to_keep(paths, retention)
    deleted = [path for path in paths if path not in kept]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted
