import datetime

import pytest

from ardoise.jobs.registry import get_job
from ardoise.quotes.models import Quote, QuoteStatus
from ardoise.quotes.tasks import EXPIRE


@pytest.mark.django_db
def test_job_finds_and_expires(issued_quote):
    job = get_job(EXPIRE)
    day_after = issued_quote.validity_date + datetime.timedelta(days=1)

    assert list(job.find_due(issued_quote.validity_date)) == []
    units = list(job.find_due(day_after))
    assert [unit.object_id for unit in units] == [issued_quote.pk]

    class Unit:
        object_id = issued_quote.pk
        due_on = day_after

    assert job.run(Unit()) == "Devis D-2026-0001 marqué comme expiré."
    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.EXPIRED
    assert job.run(Unit()) == "Devis D-2026-0001 déjà traité (statut : Expiré)."


@pytest.mark.django_db
def test_run_scheduled_expires_quote(issued_quote):
    from io import StringIO

    from django.core.management import call_command

    day_after = issued_quote.validity_date + datetime.timedelta(days=1)
    call_command("run-scheduled", "--date", day_after.isoformat(), stdout=StringIO(), stderr=StringIO())

    assert Quote.objects.get(pk=issued_quote.pk).status == QuoteStatus.EXPIRED
