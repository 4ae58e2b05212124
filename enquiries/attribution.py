"""First-touch lead attribution without cookies or storage in the browser.

A visit's first page says where the visitor came from: its utm_* parameters and the external
site in its Referer header. Nothing is stored to remember that. Instead this middleware signs
the first page's path and referrer into a short token and adds it, as `?src=`, to every internal
link, form and redirect on the pages it serves; the next page reads it back from its own URL.
When a lead form is posted, the token is in the form's URL and `tracking_for(request)` gives the
services the first page's landing page, UTM parameters and referrer.

For each public page (not the admin, the API, static files, or pages with a secret token in
their URL such as manage and confirm links, which must never become a landing page):

- utm_* parameters or a referrer from another site: this page is a new first touch;
- else a valid `src` token: the visit's first touch, carried so far (bad or expired tokens are
  ignored);
- else a direct visit: nothing is carried, so links stay clean for crawlers, which arrive with
  no referrer and would otherwise find a new URL on every page at every crawl. Its leads have
  channel "direct" and no landing page.

The rewriting happens on the response, after the view, so a page cache placed after this
middleware (or `cache_page` on a view) stores the page without any visitor's token.
"""

import re
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core import signing
from django.http.request import split_domain_port
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from .channels import is_own_host

PARAM = "src"
SALT = "enquiries.attribution"
# A token older than this no longer counts: it bounds how long a copied or bookmarked link keeps
# someone else's source. Counted from the first touch; carrying a token does not renew it.
MAX_AGE = 24 * 60 * 60
MAX_TOKEN_LENGTH = 2000
UTM_FIELDS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
# Requests and links that never carry attribution.
EXCLUDED_PREFIXES = ("/admin/", "/api/", "/healthz/", "/favicon.ico", "/static/", "/media/")

TAG = re.compile(r"<(?:a|form)\s[^>]*>", re.IGNORECASE)
URL_ATTRIBUTE = re.compile(r'(\s(?:href|action)=")([^"]*)"', re.IGNORECASE)
GET_FORM = re.compile(r'\smethod="get"', re.IGNORECASE)
QUERY_SEPARATOR = re.compile(r"&(?:amp;)?")


def _excluded(path):
    files = [url for url in (settings.STATIC_URL, settings.MEDIA_URL) if url and url.startswith("/")]
    return path.startswith((*EXCLUDED_PREFIXES, *files))


def _is_private(path):
    """A page with a secret in its URL (manage, confirm and unsubscribe links): never a landing
    page, and never given a token."""
    try:
        return "token" in resolve(path).kwargs
    except Resolver404:
        return False


def _without_param(url):
    path, _, query = url.partition("?")
    parts = [part for part in query.split("&") if part and part.split("=", 1)[0] != PARAM]
    return f"{path}?{'&'.join(parts)}" if parts else path


def _fields(landing_page, referrer):
    """What the services store (see enquiries/services/common.py): the landing page, the
    referrer and the landing page's UTM parameters."""
    query = dict(parse_qsl(urlsplit(landing_page).query))
    utm = {name: query[name][:100] for name in UTM_FIELDS if query.get(name)}
    return {"landing_page": landing_page, "referrer": referrer, **utm}


def make_token(fields):
    return signing.dumps([fields["landing_page"], fields["referrer"]], salt=SALT, compress=True)


def read_token(token):
    """The attribution signed into `token`, or None if it is missing, garbled or expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)):
        return None
    return _fields(*value)


def external_referrer(request):
    """The Referer header if it names another site, else "". Our own pages are never a source."""
    referrer = request.META.get("HTTP_REFERER", "")
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    if not host or is_own_host(host, split_domain_port(request.get_host())[0]):
        return ""
    return referrer[:500]


def visit_attribution(request):
    """(the visit's first-touch fields, the token that carries them), or (None, None) for a
    direct visit."""
    referrer = external_referrer(request)
    new_touch = referrer or any(request.GET.get(name) for name in UTM_FIELDS)
    if new_touch and request.method in ("GET", "HEAD"):
        fields = _fields(_without_param(request.get_full_path())[:500], referrer)
        return fields, make_token(fields)
    token = request.GET.get(PARAM)
    fields = read_token(token)
    return (fields, token) if fields else (None, None)


def tracking_for(request):
    """The `tracking=` a lead service takes for this request: the visit's first touch, or
    nothing for a direct visit."""
    return dict(getattr(request, "attribution", None) or {})


def _is_public_link(url):
    """A link within the site's public pages: "/courses/", "?page=2"; not "//cdn...", "/admin/"."""
    return url.startswith("?") or (url.startswith("/") and not url.startswith("//") and not _excluded(url))


def with_token(url, token, *, separator="&"):
    """`url` carrying the token, if it is a link within the public site; else unchanged."""
    if not _is_public_link(url):
        return url
    url, hash_mark, fragment = url.partition("#")
    path, _, query = url.partition("?")
    parts = [part for part in QUERY_SEPARATOR.split(query) if part and part.split("=", 1)[0] != PARAM]
    parts.append(f"{PARAM}={token}")
    return f"{path}?{separator.join(parts)}{hash_mark}{fragment}"


def rewrite_html(html, token):
    """Internal links and form actions carry the token; GET forms, whose fields replace the
    action's query, carry it as a hidden field."""

    def tag(match):
        text = match[0]
        if text[1:5].lower() == "form" and GET_FORM.search(text):
            action = URL_ATTRIBUTE.search(text)
            if action is None or not action[2] or _is_public_link(action[2]):
                text += f'<input type="hidden" name="{PARAM}" value="{token}">'
            return text
        return URL_ATTRIBUTE.sub(lambda m: f'{m[1]}{with_token(m[2], token, separator="&amp;")}"', text)

    return TAG.sub(tag, html)


class AttributionMiddleware:
    """Works out each public page's first touch before the view (`request.attribution`), and
    after it makes the page's internal links, forms and redirects carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.attribution = None
        response = self.get_response(request)
        if getattr(request, "_attribution_tracked", False):
            self.carry(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "token" in view_kwargs or _excluded(request.path_info):  # see _is_private
            return None
        request._attribution_tracked = True
        request.attribution, request._attribution_token = visit_attribution(request)
        return None

    def carry(self, request, response):
        is_html = response.get("Content-Type", "").startswith("text/html") and not response.streaming
        if not (is_html or response.has_header("Location")):
            return
        # Whether links carry a token, and which, depends on the Referer as well as the URL.
        patch_vary_headers(response, ["Referer"])
        token = request._attribution_token
        if not token:
            return
        if response.has_header("Location"):
            location = response["Location"]
            if not _is_private(urlsplit(location).path):
                response["Location"] = with_token(location, token)
        elif is_html and not response.has_header("Content-Encoding"):
            response.content = rewrite_html(response.content.decode(response.charset), token)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
