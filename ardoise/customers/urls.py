from django.urls import path

from ardoise.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("nouveau/", views.customer_create, name="create"),
    path("contact-vide/", views.contact_add, name="contact_add"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/modifier/", views.customer_edit, name="edit"),
    path("<int:pk>/supprimer/", views.customer_delete, name="delete"),
]
