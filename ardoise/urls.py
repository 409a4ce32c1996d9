from django.urls import include, path, re_path

from ardoise.api.api import api, unknown_path

urlpatterns = [
    path("", include("ardoise.dashboard.urls")),
    path("compte/", include("ardoise.accounts.urls")),
    path("compte/entreprise/jetons-api/", include("ardoise.api.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),
    path("clients/", include("ardoise.customers.urls")),
    path("catalogue/", include("ardoise.catalogue.urls")),
    path("factures/", include("ardoise.invoicing.urls")),
    path("devis/", include("ardoise.quotes.urls")),
    path("paiements/", include("ardoise.payments.urls")),
    path("banque/", include("ardoise.banking.urls")),
    path("emails/", include("ardoise.mailing.urls")),
    path("relances/", include("ardoise.reminders.urls")),
    path("rapports/", include("ardoise.reports.urls")),
    path("comptabilite/", include("ardoise.accounting.urls")),
    path("import/", include("ardoise.imports.urls")),
    path("factures-fournisseurs/", include("ardoise.purchases.urls")),
    path("entreprise/webhooks/", include("ardoise.webhooks.urls")),
    path("taches/", include("ardoise.jobs.urls")),
    path("abonnements/", include("ardoise.recurring.urls")),
    path("integrite/", include("ardoise.integrity.urls")),
    path("journal/", include("ardoise.audit.urls")),
    path("sauvegardes/", include("ardoise.backups.urls")),
    path("portail/", include("ardoise.portal.urls")),
    path("liens-portail/", include("ardoise.portal.staff_urls")),
]
