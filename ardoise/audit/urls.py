from django.urls import path

from ardoise.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.journal, name="journal"),
]
