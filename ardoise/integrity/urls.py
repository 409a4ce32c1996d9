from django.urls import path

from ardoise.integrity import views

app_name = "integrity"
urlpatterns = [
    path("", views.integrity_check, name="check"),
    path("attestation.pdf", views.integrity_attestation, name="attestation"),
]
