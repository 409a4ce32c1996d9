"""Rebuild every derived reporting table of an organisation from its documents and payments."""

from __future__ import annotations

from typing import Any, NamedTuple

from ardoise.reports import monthly, stored
from ardoise.reports.breakdowns import fill_missing


class Rebuilt(NamedTuple):
    documents: int  # issued documents whose stored balances were rewritten
    filled: int  # documents that got their missing VAT and revenue rows


def rebuild_all(organisation: Any) -> Rebuilt:
    """Fill the missing VAT and revenue rows, then rebuild the stored balances and monthly totals.

    Used after writes that bypass the model signals, such as an organisation
    import's bulk inserts.
    """
    filled = fill_missing(organisation)
    documents = stored.rebuild(organisation)
    monthly.rebuild(organisation)
    return Rebuilt(documents, filled)
