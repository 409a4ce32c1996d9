from django.urls import path

from ardoise.accounting import views

app_name = "accounting"
urlpatterns = [
    path("", views.index, name="index"),
    path("fec/", views.export, name="export"),
    path("journal/", views.journal, name="journal"),
    path("controle/", views.check, name="check"),
    path("comptes/", views.chart, name="chart"),
]
