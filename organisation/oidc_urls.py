"""The OpenID Connect endpoints, under the names mozilla-django-oidc reverses (no namespace)."""

from allauth.account.views import LogoutView
from django.urls import path

from organisation.oidc import AuthenticateView, CallbackView

urlpatterns = [
    path("authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
    # One logout for everyone (it also ends the provider's session, see AccountAdapter).
    path("logout/", LogoutView.as_view(), name="oidc_logout"),
]
