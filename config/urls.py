from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

urlpatterns = [
    path("", include("courses.urls")),
    path("", include("booking.urls")),
    path("", include("enquiries.urls")),
    path("quotes/", include("quotes.urls")),
    path("invoices/", include("invoicing.urls")),
    path("insights/", include("insights.urls")),
    path("", include("records.urls")),
    path("healthz/", core_views.healthz, name="healthz"),
    path("ping/", core_views.ping, name="ping"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),  # core.admin_site.StaffAdminSite (core/admin_apps.py)
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (/api/docs/?script=), not inline:
    # the Content-Security-Policy allows no inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
