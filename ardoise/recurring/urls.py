from django.urls import path

from ardoise.recurring import index_views, views

app_name = "recurring"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("nouveau/", views.plan_create, name="create"),
    path("apercu-dates/", views.dates_preview, name="dates_preview"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/modifier/", views.plan_edit, name="edit"),
    path("<int:pk>/pause/", views.plan_pause, name="pause"),
    path("<int:pk>/reprendre/", views.plan_resume, name="resume"),
    path("indices/", index_views.index_list, name="indices"),
    path("indices/<int:index_pk>/", index_views.index_detail, name="index_detail"),
    path("indices/valeurs/<int:value_pk>/supprimer/", index_views.index_value_delete, name="index_value_delete"),
]
