from django.urls import path

from ardoise.reminders import views

app_name = "reminders"
urlpatterns = [
    path("", views.organisation_plan, name="plan"),
    path("taux/", views.rates, name="rates"),
    path("taux/supprimer/", views.rate_delete, name="rate_delete"),
    path("client/<int:customer_pk>/", views.customer_plan, name="customer_plan"),
    path("client/<int:customer_pk>/personnaliser/", views.customer_plan_toggle, name="customer_plan_toggle"),
    path("facture/<int:invoice_pk>/relancer/", views.remind_now, name="remind_now"),
    path("facture/<int:invoice_pk>/litige/", views.dispute, name="dispute"),
    path("lettre/<int:pk>/", views.letter_pdf, name="letter"),
]
