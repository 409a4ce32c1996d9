from django.urls import path

from ardoise.purchases import views

app_name = "purchases"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/fichier/", views.invoice_file, name="file"),
    path("<int:pk>/payer/", views.invoice_pay, name="pay"),
    path("<int:pk>/annuler-paiement/", views.invoice_unpay, name="unpay"),
]
