from django.urls import path

from ardoise.invoicing import credit_views, import_views, series_views, vat_views, views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("nouvelle/", views.invoice_create, name="create"),
    path("importer/", import_views.invoice_import, name="import"),
    path("editeur/totaux/", views.draft_totals, name="totals"),
    path("editeur/ligne/", views.line_add, name="line_add"),
    path("editeur/article/", views.line_fill, name="line_fill"),
    path("editeur/remise-frais/", views.adjustment_add, name="adjustment_add"),
    path("editeur/tva/", vat_views.vat_situation, name="vat_situation"),
    path("editeur/nature/", vat_views.line_kind, name="line_kind"),
    path("sequences/", series_views.series_list, name="series"),
    path("sequences/nouvelle/", series_views.series_create, name="series_create"),
    path("sequences/<int:series_pk>/modifier/", series_views.series_edit, name="series_edit"),
    path("sequences/<int:series_pk>/par-defaut/", series_views.series_make_default, name="series_make_default"),
    path("sequences/<int:series_pk>/supprimer/", series_views.series_delete, name="series_delete"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/modifier/", views.invoice_edit, name="edit"),
    path("<int:pk>/supprimer/", views.invoice_delete, name="delete"),
    path("<int:pk>/emettre/", views.invoice_issue, name="issue"),
    path("<int:pk>/apercu.pdf", views.draft_preview, name="preview"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="pdf"),
    path("<int:pk>/xml/", views.invoice_xml, name="xml"),
    path("<int:pk>/ubl/", views.invoice_ubl, name="ubl"),
    path("<int:pk>/avoir/", credit_views.credit_note_create, name="credit"),
    path("<int:pk>/avoir/modifier/", credit_views.credit_note_edit, name="credit_edit"),
    path("<int:pk>/annuler-et-remplacer/", credit_views.invoice_replace, name="replace"),
]
