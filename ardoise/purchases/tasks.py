from __future__ import annotations

from django.utils.translation import gettext_lazy

from ardoise.jobs.registry import Job, register
from ardoise.purchases.inbox import find_files, receive_file

INBOX = register(
    Job(
        name="purchases.inbox",
        label=gettext_lazy("Réception des factures fournisseurs déposées dans le dossier"),
        find_due=find_files,
        run=receive_file,
    )
)
