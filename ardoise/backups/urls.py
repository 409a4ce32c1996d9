from django.urls import path

from ardoise.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.backup_list, name="list"),
    path("sauvegarder/", views.backup_now, name="create"),
    path("<int:pk>/telecharger/", views.backup_download, name="download"),
    path("export/", views.organisation_export, name="export"),
]
