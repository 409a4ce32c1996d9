"""Shared pieces of the ``ardoise reminders`` and ``ardoise penalties`` commands."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.cli import parse_cli_date
from ardoise.invoicing.models import Invoice, InvoiceStatus


def parse_day(raw: str | None, default: datetime.date) -> datetime.date:
    return parse_cli_date(raw, "--date") if raw else default


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
