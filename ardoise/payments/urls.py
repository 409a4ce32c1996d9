from django.urls import path

from ardoise.payments import credit_views, receipt_views, views

app_name = "payments"
urlpatterns = [
    path("", receipt_views.receipt_list, name="receipts"),
    path("nouveau/", receipt_views.receipt_create, name="receipt_create"),
    path("encaissements/<int:receipt_pk>/", receipt_views.receipt_detail, name="receipt"),
    path("encaissements/<int:receipt_pk>/annuler/", receipt_views.receipt_cancel, name="receipt_cancel"),
    path("client/<int:customer_pk>/rembourser/", credit_views.credit_refund, name="credit_refund"),
    path("facture/<int:invoice_pk>/", views.payment_record, name="record"),
    path("facture/<int:invoice_pk>/credit/", credit_views.credit_apply, name="credit_apply"),
    path("<int:pk>/annuler/", views.payment_reverse, name="reverse"),
]
