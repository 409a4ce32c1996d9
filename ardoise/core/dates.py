"""Calendar dates in the business's time zone and due-date rules."""

from __future__ import annotations

import datetime


def due_date_net(issue_date: datetime.date, days: int) -> datetime.date:
    """Return the due date ``days`` calendar days after the issue date ("à N jours")."""
    return issue_date + datetime.timedelta(days=days)
