from django.urls import path

from ardoise.mailing import template_views, views

app_name = "mailing"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.email_detail, name="detail"),
    path("facture/<int:invoice_pk>/envoyer/", views.email_send, name="send"),
    path("modeles/", template_views.template_list, name="templates"),
    path("modeles/<slug:kind_name>/", template_views.template_edit, name="template_edit"),
    path("modeles/<slug:kind_name>/par-defaut/", template_views.template_reset, name="template_reset"),
]
