from io import StringIO

import pytest
from django.core.management import call_command

from ardoise.quotes.models import Quote, QuoteKind, QuoteStatus


@pytest.mark.django_db
def test_demo_adds_quotes():
    call_command("setup", "--demo", stdout=StringIO(), stderr=StringIO())

    statuses = sorted(Quote.objects.filter(kind=QuoteKind.QUOTE).values_list("status", flat=True))
    assert statuses == sorted([QuoteStatus.ACCEPTED, QuoteStatus.SENT, QuoteStatus.EXPIRED, QuoteStatus.DRAFT])
    assert Quote.objects.get(kind=QuoteKind.PROFORMA).number.startswith("PF-")
