"""Rebuild every derived reporting table of an organisation from its documents and payments."""

from __future__ import annotations

from typing import Any

from ardoise.reports import monthly, stored
from ardoise.reports.breakdowns import fill_missing


def rebuild_all(organisation: Any) -> int:
    """Fill the missing VAT and revenue rows, then rebuild the stored balances and monthly totals.

    Return how many documents got their rows filled. Used after writes that
    bypass the model signals, such as an organisation import's bulk inserts.
    """
    filled = fill_missing(organisation)
    stored.rebuild(organisation)
    monthly.rebuild(organisation)
    return filled
