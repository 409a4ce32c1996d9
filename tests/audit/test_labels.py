"""Every audit action written by the code has a French label."""

from __future__ import annotations

import re
from pathlib import Path

import ardoise
from ardoise.audit.labels import ACTION_LABELS

ACTION = re.compile(
    r"\"((?:invoice|credit_note|quote|series|payment|customer|product|organisation|email|bank|job|api_token)\.[a-z_]+)\""
)


def written_actions() -> set[str]:
    source = Path(ardoise.__file__).parent
    found = set()
    # The webhook event types (« invoice.paid ») are named like actions but are not audit actions.
    event_types = source / "webhooks" / "models.py"
    for path in source.rglob("*.py"):
        if path == event_types:
            continue
        found.update(ACTION.findall(path.read_text(encoding="utf-8")))
    return found - {"invoice.typ"}  # the Typst template's file name, not an action


def test_every_written_action_has_french_label():
    actions = written_actions()

    assert "credit_note.issued" in actions
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_recorded_lists_and_choices_read_in_french(db):
    from ardoise.audit.labels import shown_data_value

    assert shown_data_value("warnings", ["Ligne 1 : écart", "Taux déduit"]) == "Ligne 1 : écart ; Taux déduit"
    assert shown_data_value("method", "cheque") == "Chèque"
    assert shown_data_value("reset", "monthly") != "monthly"
    assert shown_data_value("reset", "unknown") == "unknown"
