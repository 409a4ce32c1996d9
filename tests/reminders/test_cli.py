"""The reminders and penalties commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ardoise.reminders.models import Reminder

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_due_lists_what_would_be_sent(issued_invoice):
    output = run("reminders", "due", "--date", "2027-02-02")

    assert "F-2026-0001  J+30  mise en demeure  Boulangerie Martin SAS" in output
    assert not Reminder.objects.exists()


def test_due_says_when_nothing_is_due(issued_invoice):
    assert "Aucune relance due le 05/12/2026." in run("reminders", "due", "--date", "2026-12-05")


def test_send_level(issued_invoice, smtp):
    output = run("reminders", "send", "F-2026-0001", "--level", "2")

    assert "Relance J+7 de la facture F-2026-0001 envoyée à compta@boulangerie-martin.fr." in output
    assert len(smtp.messages) == 1


def test_send_unknown_level_names_the_range(issued_invoice):
    with pytest.raises(CommandError) as error:
        run("reminders", "send", "F-2026-0001", "--level", "9")

    assert "1 à 4" in str(error.value)


def test_send_unknown_number(issued_invoice):
    with pytest.raises(CommandError) as error:
        run("reminders", "send", "F-2099-9999")

    assert "« F-2099-9999 »" in str(error.value)


def test_penalties_by_hand(issued_invoice):
    # 1 065,00 € due on 3 January 2027; 30 days at 12.15 % on 2 February: 10.6354 → 10,64 €.
    output = run("penalties", "F-2026-0001", "--date", "2027-02-02")

    assert "Jours de retard : 30" in output
    assert "du 04/01/2027 au 02/02/2027 : 30 j × 1\u202f065,00\u00a0€ à 12,15\u202f%" in output
    assert "Pénalités de retard : 10,64\u00a0€" in output
    assert "Indemnité forfaitaire : 40,00\u00a0€" in output
    assert "Total exigible : 1\u202f115,64\u00a0€" in output


def test_penalties_bad_date(issued_invoice):
    with pytest.raises(CommandError) as error:
        run("penalties", "F-2026-0001", "--date", "30/02/2027")

    assert "--date : la date « 30/02/2027 » n'existe pas dans le calendrier" in str(error.value)
