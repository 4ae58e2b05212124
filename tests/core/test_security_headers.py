"""The Content-Security-Policy (django-csp) and Permissions-Policy (core.middleware) headers on
every kind of page, and the templates kept free of what the policy would block: inline scripts,
inline event handlers, <style> blocks and style attributes. tests/e2e/test_csp.py checks the
same pages in Chromium."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import path, reverse

from core.middleware import header_value
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import CourseFactory, make_session

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)

# Tags, their attributes, and the three things a policy without 'unsafe-inline' blocks.
TAG = re.compile(r"<[a-zA-Z][^>]*>")
HANDLER_OR_STYLE = re.compile(r"\s(on[a-z]+|style)\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script>", re.IGNORECASE | re.DOTALL)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|<!--.*?-->", re.DOTALL)


def inline_code(html):
    """What in `html` a strict policy would block, as a list of short descriptions."""
    html = COMMENT.sub("", html)
    found = [
        f"inline script: {m.group('body').strip()[:60]!r}" for m in INLINE_SCRIPT.finditer(html) if m["body"].strip()
    ]
    found += [f"<style> block at {m.start()}" for m in STYLE_BLOCK.finditer(html)]
    for tag in TAG.finditer(html):
        if attribute := HANDLER_OR_STYLE.search(tag.group()):
            found.append(f"{attribute.group(1)}= attribute: {tag.group()[:80]}")
    return found


def directives(response):
    """{"script-src": ["'self'"], ...} from the Content-Security-Policy header."""
    parts = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in parts}


def assert_headers(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
        assert f"{feature}=()" in permissions


@pytest.fixture
def course():
    return CourseFactory()


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "x")
    client.force_login(user)
    return user


def test_home_page(client):
    response = client.get(reverse("courses:home"))
    assert response.status_code == 200
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def test_course_page(client, course):
    response = client.get(reverse("courses:course_detail", args=[course.slug]))
    assert response.status_code == 200
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def test_booking_form(client):
    session = make_session()
    response = client.get(reverse("booking:book", args=[session.pk]))
    assert response.status_code == 200
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def test_lead_form_with_errors(client, settings):
    settings.LEADS_MIN_SUBMIT_SECONDS = 0
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000
    response = client.post(reverse("enquiries:enquiry"), {"name": "Jordan"})
    html = response.content.decode()
    assert 'id="error-summary"' in html and "data-error-summary" in html
    assert_headers(response)
    assert inline_code(html) == []


def test_admin_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def test_admin_pages_used_by_staff(client, staff):
    email = OutboundEmail.objects.create(
        kind="booking_confirmation",
        unique_key="csp-test",
        to=["priya@example.org"],
        from_email="bookings@example.com",
        subject="Your booking",
        body_text="Hello",
        body_html='<p style="color: #073447">Hello</p>',  # the email's own styles: shown in a frame
        status=EmailStatus.SENT,
    )
    for url in [
        reverse("admin:index"),
        reverse("admin:enquiries_lead_changelist") + "?owner=all&state=all",
        reverse("admin:enquiries_lead_dashboard"),
        reverse("admin:booking_booking_changelist"),
        reverse("admin:booking_coursesession_add"),
        reverse("admin:auth_user_change", args=[staff.pk]),
        reverse("admin:outbox_outboundemail_changelist"),
        reverse("admin:outbox_outboundemail_change", args=[email.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_headers(response)
        assert inline_code(response.content.decode()) == [], url


def test_api_docs_load_swagger_ui_from_files(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert_headers(response)
    html = response.content.decode()
    assert inline_code(html) == []
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get(reverse("api-docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from validator.swagger.io


def test_not_found_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def broken_view(request):
    raise RuntimeError("broken on purpose")


urlpatterns = [path("broken/", broken_view)]
handler500 = "core.views.server_error"


@pytest.mark.urls(__name__)
def test_server_error_page(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert_headers(response)
    assert inline_code(response.content.decode()) == []


def test_static_files_carry_the_headers_too(client, settings):
    # WhiteNoise answers from the apps' static folders, as there is no collectstatic output here.
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    response = client.get(settings.STATIC_URL + "favicon.svg")
    assert response.status_code == 200
    assert response.has_header("Last-Modified")  # served by WhiteNoise, not a view
    assert_headers(response)


def test_permissions_policy_header_value():
    assert header_value({"camera": [], "fullscreen": ["self"]}) == "camera=(), fullscreen=(self)"


def page_templates():
    """Every page template of the project and its apps, but not emails (sent, not served) nor PDF
    documents (drawn by WeasyPrint, never served as pages)."""
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    folders += [ROOT / app / "templates" for app in ["core", "courses", "booking", "enquiries", "outbox"]]
    return sorted(
        template
        for folder in folders
        if folder.is_dir()
        for template in folder.rglob("*.html")
        if not {"emails", "pdf"} & set(template.relative_to(folder).parts)
    )


def test_the_scan_finds_what_it_should():
    assert inline_code('<p style="color:red">') != []
    assert inline_code('<button type="button" onclick="go()">') != []
    assert inline_code("<script>document.getElementById('x').focus();</script>") != []
    assert inline_code("<style>p { color: red }</style>") != []
    assert inline_code('<script src="/static/js/a.js"></script><p class="on-call">Styles</p>') == []


# HTML the admin builds in Python, outside the templates.
def test_lead_admin_overdue_due_time_has_no_inline_style():
    from datetime import timedelta

    from django.contrib import admin
    from django.utils import timezone

    from enquiries.admin.leads import LeadAdmin
    from enquiries.models import Lead

    lead = Lead(due_at=timezone.now() - timedelta(hours=1))
    assert lead.is_overdue
    assert inline_code(str(LeadAdmin(Lead, admin.site).due(lead))) == []


@pytest.mark.parametrize("template", page_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_templates_have_no_inline_code(template):
    assert inline_code(template.read_text()) == []
