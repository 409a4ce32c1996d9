from django.urls import path

app_name = "invoicing"
urlpatterns: list = []
