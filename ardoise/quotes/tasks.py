"""The periodic job that marks quotes past their validity date as expired."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ardoise.core.formats import format_date
from ardoise.jobs.models import JobUnit
from ardoise.jobs.registry import DueUnit, Job, register
from ardoise.quotes.models import Quote
from ardoise.quotes.services import expire, expired_quotes

EXPIRE = "quotes.expire"


def find_expired_quotes(day: datetime.date) -> Iterator[DueUnit]:
    """List the issued or sent quotes whose validity date is before ``day``."""
    for quote in expired_quotes(day).order_by("pk").iterator(chunk_size=500):
        yield DueUnit(
            key="quote-expiry:%s" % quote.pk,
            label=_("Devis %(number)s, valable jusqu'au %(date)s")
            % {"number": quote.number, "date": format_date(quote.validity_date)},
            organisation_id=quote.organisation_id,
            object_id=quote.pk,
        )


def run_expire(unit: JobUnit) -> str:
    quote = Quote.objects.get(pk=int(unit.object_id or 0))
    if expire(quote, today=unit.due_on):
        return _("Devis %(number)s marqué comme expiré.") % {"number": quote.number}
    quote.refresh_from_db()
    return _("Devis %(number)s déjà traité (statut : %(status)s).") % {
        "number": quote.number,
        "status": quote.get_status_display(),
    }


register(Job(name=EXPIRE, label=gettext_lazy("Expiration des devis"), find_due=find_expired_quotes, run=run_expire))
