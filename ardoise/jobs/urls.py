from django.urls import path

from ardoise.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.unit_list, name="list"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/relancer/", views.unit_retry, name="retry"),
]
