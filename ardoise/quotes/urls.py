from django.urls import path

from ardoise.quotes import billing_views, views

app_name = "quotes"
urlpatterns = [
    path("", views.quote_list, name="list"),
    path("nouveau/", views.quote_create, name="create"),
    path("reglages/", views.quote_settings, name="settings"),
    path("editeur/totaux/", views.quote_totals, name="totals"),
    path("<int:pk>/", views.quote_detail, name="detail"),
    path("<int:pk>/modifier/", views.quote_edit, name="edit"),
    path("<int:pk>/supprimer/", views.quote_delete, name="delete"),
    path("<int:pk>/emettre/", views.quote_issue, name="issue"),
    path("<int:pk>/envoye/", views.quote_mark_sent, name="mark_sent"),
    path("<int:pk>/accepter/", views.quote_accept, name="accept"),
    path("<int:pk>/refuser/", views.quote_refuse, name="refuse"),
    path("<int:pk>/dupliquer/", views.quote_duplicate, name="duplicate"),
    path("<int:pk>/reviser/", views.quote_revise, name="revise"),
    path("<int:pk>/pdf/", views.quote_pdf, name="pdf"),
    path("<int:pk>/email/", views.quote_email, name="email"),
    path("<int:pk>/facturer/", billing_views.quote_invoice, name="invoice"),
]
