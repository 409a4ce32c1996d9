from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "ardoise.portal"
    verbose_name = _("Portail client")

    def ready(self) -> None:
        from ardoise.audit.labels import ACTION_LABELS, DATA_LABELS
        from ardoise.mailing.links import register_portal_link
        from ardoise.mailing.templating import PORTAL_LINK_MARKER

        # Quote e-mails keep {lien} while they are written; sending creates or reuses the link.
        register_portal_link(lambda document, request=None: PORTAL_LINK_MARKER)

        # Added at start-up, so that the audit app does not import the portal to label its actions.
        ACTION_LABELS.update(
            {
                "portal_link.created": _("Lien du portail client créé"),
                "portal_link.revoked": _("Lien du portail client révoqué"),
            }
        )
        DATA_LABELS.update({"link": _("Lien n°"), "expires_at": _("Expire le")})
