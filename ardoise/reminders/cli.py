"""Shared pieces of the ``ardoise reminders`` and ``ardoise penalties`` commands."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.invoicing.models import Invoice, InvoiceStatus

# The exit status of a usage error, as argparse gives for a bad option.
USAGE_ERROR = 2


def parse_day(raw: str | None, default: datetime.date) -> datetime.date:
    if not raw:
        return default
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            _("Date « %(value)s » invalide : utilisez le format AAAA-MM-JJ, par exemple 2026-12-04.") % {"value": raw},
            returncode=USAGE_ERROR,
        ) from None


def find_invoice(organisation: Organisation, number: str) -> Invoice:
    invoice = (
        Invoice.objects.filter(organisation=organisation, number=number)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("organisation", "customer")
        .first()
    )
    if invoice is None:
        raise CommandError(
            _("Aucune facture émise ne porte le numéro « %(number)s » : vérifiez le numéro (ardoise invoice list).")
            % {"number": number}
        )
    return invoice
