from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path, register_converter
from pwa import views as pwa_views

from nomad_web import views
from visits.converters import VisitRefConverter
from visits.views import offline as visit_offline

# Before the apps' URLs are included: theirs name visits as <visit:pk>.
register_converter(VisitRefConverter, "visit")


def admin_login(request: HttpRequest) -> HttpResponse:
    # One login page for everyone: the admin's own form would bypass two-factor.
    return redirect_to_login(request.GET.get("next", "/admin/"))


urlpatterns = [
    path("", views.home, name="home"),
    # /healthz: readiness, as before (the probes of existing deployments keep working).
    path("healthz", views.healthz_ready, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("metrics", views.metrics, name="metrics"),
    path("sw.js", visit_offline.service_worker, name="service_worker"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    # Before allauth's: its email page is closed (see views.email_page_closed).
    path("accounts/email/", views.email_page_closed),
    path("accounts/", include("allauth.urls")),
    path("oidc/", include("organisation.oidc_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("nouveautes/", include("announcements.urls")),
    path("signatures/", include("signatures.urls")),
    path("", include("organisation.urls")),
    path("", include("visits.urls")),
    path("", include("quotes.urls")),
    path("", include("dashboard.urls")),
    path("", include("privacy.urls")),
    re_path(r"^manifest\.json$", pwa_views.manifest, name="manifest"),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

if settings.NOMAD_BENCH_URLS:  # bench/bench_load.py only; off in the tests (URL matrix)
    urlpatterns.append(path("bench/ok", views.bench_ok, name="bench_ok"))
