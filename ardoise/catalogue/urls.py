from django.urls import path

from ardoise.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.product_list, name="list"),
    path("nouveau/", views.product_create, name="create"),
    path("choisir/", views.product_pick, name="pick"),
    path("<int:pk>/modifier/", views.product_edit, name="edit"),
    path("<int:pk>/desactiver/", views.product_deactivate, name="deactivate"),
    path("<int:pk>/reactiver/", views.product_reactivate, name="reactivate"),
]
