from django.urls import path

from ardoise.portal import views

app_name = "portal"
urlpatterns = [
    path("<str:token>/", views.document, name="document"),
    path("<str:token>/pdf", views.document_pdf, name="pdf"),
    path("<str:token>/facturx", views.document_facturx, name="facturx"),
    path("<str:token>/reponse", views.decide, name="decide"),
]
