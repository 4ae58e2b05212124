from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@never_cache
@require_GET
def healthz(request):
    healthy, checks = health_report()
    if not request.user.is_staff:
        # Error text can name hosts and drivers: statuses only, except for staff.
        checks = {name: {"status": check["status"]} for name, check in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def ping(request):
    """Touches nothing (no database, cache or session): the benchmark's yardstick (`make bench`)."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on their own: send them to the icon the pages link to."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "detail": "Server error."}, status=500)
    # No request context processors: the page must render even when the database is down.
    html = render_to_string("500.html", {"provider": settings.PROVIDER})
    return HttpResponseServerError(html)


def private_page(view):
    """Pages reached by a private link (a manage, registration or quote link): never stored by a
    browser or proxy, never indexed. The site-wide Referrer-Policy (same-origin) keeps the token
    in the URL from other sites."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = never_cache(view)(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped
