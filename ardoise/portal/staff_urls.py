from django.urls import path

from ardoise.portal import staff_views

app_name = "portal_links"
urlpatterns = [
    path("facture/<int:invoice_pk>/creer/", staff_views.invoice_link_create, name="invoice_create"),
    path("devis/<int:quote_pk>/creer/", staff_views.quote_link_create, name="quote_create"),
    path("<int:pk>/revoquer/", staff_views.link_revoke, name="revoke"),
]
