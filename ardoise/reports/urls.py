from django.urls import path

from ardoise.reports import statement_views, views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("encours/", views.outstanding, name="outstanding"),
    path("balance-agee/", views.aging, name="aging"),
    path("chiffre-affaires/", views.revenue, name="revenue"),
    path("encaissements/", views.receipts, name="receipts"),
    path("dso/", views.dso, name="dso"),
    path("tva/", views.vat, name="vat"),
    path("releve/", statement_views.statement, name="statement"),
    path("releve/<int:customer_pk>/pdf/", statement_views.statement_pdf_view, name="statement_pdf"),
    path("releve/<int:customer_pk>/envoyer/", statement_views.statement_send, name="statement_send"),
]
