from django.contrib.auth import views as auth_views
from django.urls import path

from ardoise.accounts import views
from ardoise.accounts.forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("entreprise/", views.organisation_profile, name="organisation"),
    path("entreprise/logo/", views.organisation_logo, name="organisation_logo"),
]
