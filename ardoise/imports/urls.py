from django.urls import path

from ardoise.imports import views

app_name = "imports"
urlpatterns = [
    path("<slug:kind>/", views.upload, name="upload"),
    path("lot/<int:pk>/", views.batch, name="batch"),
]
