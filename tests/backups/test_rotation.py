"""Rotation of backup folders: the newest archive of each recent day, week and month is kept."""

from __future__ import annotations

import datetime

from ardoise.backups.rotation import Retention, archives, rotate


def day_name(day: datetime.date) -> str:
    return "ardoise-backup-%s-023000.tar.gz" % day.strftime("%Y%m%d")


def test_rotation_keeps_days_weeks_months(tmp_path):
    day = datetime.date(2026, 1, 1)
    while day <= datetime.date(2026, 12, 5):
        (tmp_path / day_name(day)).write_bytes(b"x")
        day += datetime.timedelta(days=1)
    (tmp_path / ".ardoise-backup-abc.partial").write_bytes(b"x")

    rotate(tmp_path, Retention(daily=7, weekly=4, monthly=12))

    kept = {path.name for path in archives(tmp_path)}
    daily = {datetime.date(2026, 11, 29) + datetime.timedelta(days=offset) for offset in range(7)}
    # 5 December 2026 is a Saturday: the four newest ISO weeks end on 5 Dec, 29, 22 and 15 November.
    weekly = {
        datetime.date(2026, 12, 5),
        datetime.date(2026, 11, 29),
        datetime.date(2026, 11, 22),
        datetime.date(2026, 11, 15),
    }
    monthly = {
        datetime.date(2026, 12, 5),
        datetime.date(2026, 11, 30),
        datetime.date(2026, 10, 31),
        datetime.date(2026, 9, 30),
        datetime.date(2026, 8, 31),
        datetime.date(2026, 7, 31),
        datetime.date(2026, 6, 30),
        datetime.date(2026, 5, 31),
        datetime.date(2026, 4, 30),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 2, 28),
        datetime.date(2026, 1, 31),
    }
    assert kept == {day_name(day) for day in daily | weekly | monthly}
    assert len(kept) == 19


def test_rotation_leaves_other_files(tmp_path):
    (tmp_path / ".ardoise-backup-abc.partial").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")

    rotate(tmp_path, Retention(daily=1, weekly=0, monthly=0))

    assert sorted(path.name for path in tmp_path.iterdir()) == [".ardoise-backup-abc.partial", "notes.txt"]


def test_rotation_keeps_newest_of_a_day(tmp_path):
    older = tmp_path / "ardoise-backup-20261205-010000.tar.gz"
    newer = tmp_path / "ardoise-backup-20261205-020000.tar.gz.enc"
    yesterday = tmp_path / "ardoise-backup-20261204-020000.tar.gz"
    for path in (older, newer, yesterday):
        path.write_bytes(b"x")

    deleted = rotate(tmp_path, Retention(daily=2, weekly=0, monthly=0))

    assert deleted == [older]
    assert newer.exists()
    assert yesterday.exists()
