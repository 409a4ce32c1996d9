from django.urls import path

from ardoise.mailing import views

app_name = "mailing"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.email_detail, name="detail"),
    path("facture/<int:invoice_pk>/envoyer/", views.email_send, name="send"),
]
