"""``ardoise recurring list|create|show|pause|resume``."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from ardoise.recurring.models import RecurringPlan

PLAN = {
    "name": "Maintenance du site",
    "customer": "552081317",
    "frequency": "monthly",
    "interval": 1,
    "start_date": "2027-01-31",
    "occurrences": 12,
    "auto_issue": True,
    "auto_send": True,
    "revision_percent": "2.5",
    "payment_terms_days": 30,
    "notes": "Contrat n° 42",
    "lines": [{"name": "Maintenance mensuelle", "quantity": "1", "unit_price": "150.00", "vat_rate": "20"}],
}


def write(tmp_path, content) -> str:
    path = tmp_path / "plan.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_create_show_pause_resume(tmp_path, organisation, customer, capsys):
    call_command("recurring", "create", write(tmp_path, PLAN))
    plan = RecurringPlan.objects.get()
    assert plan.occurrences_limit == 12
    assert plan.auto_send and plan.template.payment_terms_days == 30
    assert plan.template.lines.get().unit_price == 150
    assert "créé" in capsys.readouterr().out

    call_command("recurring", "list")
    assert "Maintenance du site" in capsys.readouterr().out
    call_command("recurring", "show", str(plan.pk))
    out = capsys.readouterr().out
    assert "28/02/2027" in out and "180,00" in out
    call_command("recurring", "pause", str(plan.pk))
    plan.refresh_from_db()
    assert not plan.is_active
    call_command("recurring", "resume", str(plan.pk))
    plan.refresh_from_db()
    assert plan.is_active


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{pas du json", "n'est pas un JSON valide"),
        ({**PLAN, "frequence": "monthly"}, "Clé(s) inconnue(s) : frequence"),
        ({**PLAN, "customer": "inconnu"}, "aucun client ne correspond à « inconnu »"),
        ({**PLAN, "frequency": "daily"}, "« frequency »"),
        ({**PLAN, "start_date": "31/02/2027"}, "« start_date »"),
        ({**PLAN, "lines": []}, "« lines » doit être une liste"),
        ({**PLAN, "lines": [{"name": "X", "unit_price": "abc"}]}, "ligne 1, « unit_price » : « abc »"),
        ({**PLAN, "end_date": "2027-12-31"}, "pas les deux"),
    ],
)
def test_bad_files_are_refused_in_french(tmp_path, organisation, customer, content, message):
    with pytest.raises(CommandError) as error:
        call_command("recurring", "create", write(tmp_path, content))
    assert message in str(error.value)
    assert not RecurringPlan.objects.exists()


def test_unknown_plan(organisation):
    with pytest.raises(CommandError, match="Aucun abonnement n° 99"):
        call_command("recurring", "show", "99")
