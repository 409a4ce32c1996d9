from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ardoise.core"
    verbose_name = "Ardoise"
