"""``ardoise setup``: create the first organisation and its owner, with demo data if asked."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from ardoise.accounts.models import Membership, Organisation, Role, User
from ardoise.core.cli import FrenchCommand
from ardoise.invoicing.credit_notes import create_credit_note_series


class Command(FrenchCommand):
    help = "Créer l'entreprise et le compte propriétaire d'une installation vide."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="proprietaire@ardoise.test", help="Adresse e-mail du propriétaire.")
        parser.add_argument("--demo", action="store_true", help="Charger des données de démonstration.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists() or User.objects.exists():
            self.stdout.write(_("Ardoise est déjà configurée : rien à faire."))
            return

        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            if options["demo"]:
                from ardoise.accounts.demo import create_demo_organisation

                organisation = create_demo_organisation()
            else:
                organisation = Organisation.objects.create(name=_("Mon entreprise"))
            owner = User.objects.create_user(username=options["email"], email=options["email"], password=password)
            Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
            create_credit_note_series(organisation)
            if options["demo"]:
                from ardoise.accounts.demo import create_demo_documents

                create_demo_documents(organisation, owner)

        self.stdout.write("")
        self.stdout.write(_("Compte propriétaire créé. Notez ce mot de passe : il ne sera plus affiché."))
        self.stdout.write(_("  E-mail       : %(email)s") % {"email": options["email"]})
        self.stdout.write(_("  Mot de passe : %(password)s") % {"password": password})
        self.stdout.write("")
