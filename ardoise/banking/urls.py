from django.urls import path

from ardoise.banking import views

app_name = "banking"
urlpatterns = [
    path("", views.transaction_list, name="transactions"),
    path("importer/", views.statement_import, name="import"),
    path("importer/<int:upload_pk>/colonnes/", views.statement_import_columns, name="import_columns"),
    path("releves/", views.statement_list, name="statements"),
    path("releves/<int:statement_pk>/", views.statement_detail, name="statement"),
    path("comptes/", views.account_list, name="accounts"),
    path("comptes/<int:account_pk>/", views.account_detail, name="account"),
    path("comptes/<int:account_pk>/colonnes/", views.account_columns, name="account_columns"),
    path("operations/<int:pk>/", views.transaction_detail, name="transaction"),
    path("operations/<int:pk>/confirmer/", views.transaction_confirm, name="confirm"),
    path("operations/<int:pk>/annuler/", views.transaction_undo, name="undo"),
    path("operations/<int:pk>/ignorer/", views.transaction_ignore, name="ignore"),
    path("operations/<int:pk>/retablir/", views.transaction_restore, name="restore"),
    path("operations/<int:pk>/rapprocher/", views.transaction_match, name="match"),
]
