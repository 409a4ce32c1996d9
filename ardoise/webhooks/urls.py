from django.urls import path

from ardoise.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("nouveau/", views.subscription_form, name="create"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/modifier/", views.subscription_form, name="edit"),
    path("<int:pk>/supprimer/", views.subscription_delete, name="delete"),
    path("<int:pk>/test/", views.subscription_test, name="test"),
    path("envoi/<int:delivery_pk>/renvoyer/", views.delivery_replay, name="replay"),
]
