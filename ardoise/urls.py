from django.urls import include, path

urlpatterns = [
    path("", include("ardoise.dashboard.urls")),
    path("compte/", include("ardoise.accounts.urls")),
    path("clients/", include("ardoise.customers.urls")),
    path("catalogue/", include("ardoise.catalogue.urls")),
    path("factures/", include("ardoise.invoicing.urls")),
    path("paiements/", include("ardoise.payments.urls")),
    path("banque/", include("ardoise.banking.urls")),
    path("emails/", include("ardoise.mailing.urls")),
    path("rapports/", include("ardoise.reports.urls")),
    path("comptabilite/", include("ardoise.accounting.urls")),
    path("import/", include("ardoise.imports.urls")),
    path("factures-fournisseurs/", include("ardoise.purchases.urls")),
    path("entreprise/webhooks/", include("ardoise.webhooks.urls")),
    path("taches/", include("ardoise.jobs.urls")),
    path("integrite/", include("ardoise.integrity.urls")),
    path("journal/", include("ardoise.audit.urls")),
    path("sauvegardes/", include("ardoise.backups.urls")),
]
