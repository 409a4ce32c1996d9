from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "ardoise.jobs"
    verbose_name = _("Tâches planifiées")

    def ready(self) -> None:
        # Each app declares its jobs in its tasks.py; importing them fills the registry
        # in every process (web, worker, run-scheduled), not only in the worker.
        autodiscover_modules("tasks")
