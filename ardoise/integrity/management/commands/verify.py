"""``ardoise verify``: prove that no issued document or recorded payment was altered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ardoise.accounts.models import Organisation
from ardoise.core.cli import FrenchCommand, resolve_organisation
from ardoise.integrity.services import Verification, verify


class Command(FrenchCommand):
    help = (
        "Vérifier l'intégrité des factures, avoirs et paiements : recalculer la chaîne d'empreintes SHA-256 "
        "de chaque entreprise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation", help="SIREN ou identifiant de l'entreprise à vérifier (par défaut : toutes)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organisation"]:
            organisations = [resolve_organisation(options["organisation"])]
        else:
            organisations = list(Organisation.objects.order_by("id"))

        failures = 0
        for organisation in organisations:
            result = verify(organisation)
            self.stdout.write(self.summary(result))
            if not result.ok:
                failures += 1
        if failures:
            raise CommandError(
                ngettext(
                    "%(count)s entreprise a une chaîne d'intégrité rompue : voir le détail ci-dessus.",
                    "%(count)s entreprises ont une chaîne d'intégrité rompue : voir le détail ci-dessus.",
                    failures,
                )
                % {"count": failures}
            )

    def summary(self, result: Verification) -> str:
        counts = ", ".join("%s : %s" % (label, count) for label, count in result.counts_by_kind())
        if result.ok:
            return _("%(name)s : %(checked)s enregistrements vérifiés (%(counts)s), chaîne intacte.") % {
                "name": result.organisation.name,
                "checked": result.checked,
                "counts": counts,
            }
        assert result.failure is not None
        return _("%(name)s : ÉCHEC après %(checked)s enregistrements conformes. %(failure)s") % {
            "name": result.organisation.name,
            "checked": result.checked,
            "failure": result.failure.message,
        }
