"""``ardoise verify``: prove that no issued invoice was altered since it was issued."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from ardoise.accounts.models import Organisation
from ardoise.core.cli import FrenchCommand
from ardoise.invoicing.models import Invoice
from ardoise.invoicing.services import verify_chain


class Command(FrenchCommand):
    help = "Vérifier l'intégrité des factures émises (chaîne d'empreintes SHA-256)."

    def handle(self, *args: Any, **options: Any) -> None:
        broken_total = 0
        for organisation in Organisation.objects.order_by("id"):
            count = Invoice.objects.filter(organisation=organisation).issued().count()
            broken = verify_chain(organisation)
            broken_total += len(broken)
            if broken:
                self.stdout.write(
                    _("%(name)s : %(count)s factures, ALTÉRÉES : %(numbers)s")
                    % {"name": organisation.name, "count": count, "numbers": ", ".join(broken)}
                )
            else:
                self.stdout.write(
                    _("%(name)s : %(count)s factures, chaîne intacte.") % {"name": organisation.name, "count": count}
                )
        if broken_total:
            raise CommandError(
                _("%(count)s facture(s) ne correspondent plus à leur empreinte d'émission.") % {"count": broken_total}
            )
