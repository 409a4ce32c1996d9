from django.urls import path

from ardoise.payments import views

app_name = "payments"
urlpatterns = [
    path("facture/<int:invoice_pk>/", views.payment_record, name="record"),
    path("<int:pk>/annuler/", views.payment_reverse, name="reverse"),
]
