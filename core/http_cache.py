"""A shared cache for public reads that every anonymous visitor sees alike (the catalogue pages,
the sessions API), with ETags so that clients revalidate cheaply.

- What is stored: a response's body and headers, for anonymous GET/HEAD only, never a response
  that sets a cookie. A page's CSRF token is not in the stored body: pages are rendered with a
  placeholder, and each answer puts in the visitor's own token (`get_token`), so two visitors
  never share one. A signed-in user, a page with messages to show, or a request inside a
  database transaction gets a fresh answer and nothing is read or stored.
- For how long: at most CATALOGUE_CACHE_SECONDS (5), whatever happens, so a seat count shown is
  never older than that even after a write that sends no signals (`queryset.update()`).
- Invalidation: every stored answer carries the version it was rendered under, and a hit must
  match the current version (`invalidate()` replaces it; courses/cache.py calls it on commit of
  any change to what the pages show). A hit costs no database query. Each process also holds
  copies of the answers it served and asks Redis for the version at most every
  VERSION_CHECK_SECONDS (0.25), so most hits need no round trip at all: a change made in another
  process shows within that, one made in this process at once.
- Headers: a weak ETag from the body (a page's also from the visitor's CSRF secret and attribution
  token, which change its body); If-None-Match gives 304 without rendering. Pages are
  `private, no-cache` (they carry the visitor's CSRF token), the API `public, no-cache`.
- Failures: the cache is Redis with 0.5 s timeouts. A failed or hung cache call is logged and the
  answer rendered fresh; the cache is then left alone for BREAKER_SECONDS in this process, so a
  hung Redis costs one slow request every few seconds, not every request. `invalidate()` writes
  from a background thread, so a commit never waits for Redis; until that write lands this
  process renders fresh, so it never serves its own stale answer.

Use `cached_page` on a view that returns a TemplateResponse, and `CachedReadMixin` on a DRF view
set whose list and retrieve are the same for every anonymous client.
"""

import atexit
import hashlib
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, urlencode

logger = logging.getLogger(__name__)

VERSION_KEY = "http_cache:version"
# Rendered in place of the CSRF token; each answer replaces it with the visitor's own.
CSRF_PLACEHOLDER = "csrf-token-placeholder-5b1e0c"
_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
BREAKER_SECONDS = 5
VERSION_CHECK_SECONDS = 0.25
LOCAL_ENTRIES = 200  # answers held per process (a catalogue page is about 15 kB)
# Headers of the view's response not kept with the body: ours, or worked out per answer.
_NOT_STORED = {"content-length", "etag", "cache-control", "vary"}
PAGE = {"cache_control": "private, no-cache", "vary": ("Cookie", "Referer"), "per_visitor": True}
API = {"cache_control": "public, no-cache", "vary": ("Accept", "Authorization", "Cookie"), "per_visitor": False}


def lifetime():
    return getattr(settings, "CATALOGUE_CACHE_SECONDS", 5)


# ---------------------------------------------------------------------------------------------
# The cache, failing open


_down_until = 0.0
_generation = 0  # of the cache settings: a failure of a cache since replaced (tests) rests nothing
FAILED = object()


def _call(method, *args, **kwargs):
    """cache.<method>(...), or FAILED. After a failure the cache is left alone for a while: at
    least as long as an answer lives, so one stored before a failed invalidate() has expired."""
    global _down_until
    generation = _generation
    try:
        return getattr(cache, method)(*args, **kwargs)
    except Exception as exc:
        rest = max(BREAKER_SECONDS, lifetime())
        if generation == _generation:
            _down_until = time.monotonic() + rest
        logger.warning("The response cache is not used for %s s, it failed: %s: %s", rest, type(exc).__name__, exc)
        return FAILED


def _cache_replaced(setting, **kwargs):
    global _down_until, _generation
    if setting == "CACHES":
        _generation += 1
        _down_until = 0.0
        _local.reset()


setting_changed.connect(_cache_replaced, dispatch_uid="http_cache.cache_replaced")


def _new_version():
    return secrets.token_hex(8)


class _Invalidator:
    """Replaces the version from a thread of its own, so that a commit never waits on Redis; many
    requests at once become one write. `pending()` is true from a request until its write has
    been tried, and readers in this process leave the cache alone meanwhile."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._condition = threading.Condition()
        self._requested = self._done = 0
        self._thread = None

    def pending(self):
        return self._requested != self._done

    def request(self):
        with self._condition:
            self._requested += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-cache-invalidator", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def wait(self, timeout):
        with self._condition:
            return self._condition.wait_for(lambda: not self.pending(), timeout=timeout)

    def _run(self):
        while True:
            with self._condition:
                self._condition.wait_for(self.pending)
                target = self._requested
            # A failure rests the cache in this process (see _call); other processes see it fail too.
            version = _new_version()
            if _call("set", VERSION_KEY, version, timeout=None) is not FAILED:
                _local.learn(version, time.monotonic())
            with self._condition:
                self._done = target
                self._condition.notify_all()


_invalidator = _Invalidator()
# A management command that changes the catalogue and exits still invalidates it.
atexit.register(_invalidator.wait, 2)


def invalidate():
    """Every stored answer is out of date from now (written in the background)."""
    _invalidator.request()


def invalidate_on_commit(using=DEFAULT_DB_ALIAS):
    """invalidate() once the current transaction commits (at once outside one); once per transaction."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(func is invalidate for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(invalidate, using=using, robust=True)


def wait_for_invalidation(timeout=5):
    """For tests and scripts: True once every invalidate() so far has been written (or failed)."""
    return _invalidator.wait(timeout)


def _store_usable():
    if lifetime() <= 0 or _invalidator.pending() or time.monotonic() < _down_until:
        return False
    # A page rendered inside a transaction may show what never commits; and a stored one would
    # hide this transaction's own writes.
    return not connections[DEFAULT_DB_ALIAS].in_atomic_block


def _key(*parts):
    return "http_cache:" + hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


class _Local:
    """Answers held in this process beside Redis, so that most hits need no round trip at all;
    the current version is asked of Redis at most every VERSION_CHECK_SECONDS, so a change made
    in another process shows here within that (one made here, at once)."""

    def __init__(self):
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self):
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self._version, self._checked_at = None, float("-inf")

    def version(self, now):
        return self._version if now - self._checked_at < VERSION_CHECK_SECONDS else None

    def learn(self, version, asked_at):
        with self._lock:
            if asked_at >= self._checked_at:  # an older answer never undoes a newer one
                self._version, self._checked_at = version, asked_at

    def get(self, key, version):
        stored = self._entries.get(key)
        if stored is not None and stored[0] == version and stored[1] > time.time():
            return stored[2:]
        return None

    def put(self, key, stored):
        with self._lock:
            self._entries[key] = stored
            self._entries.move_to_end(key)
            while len(self._entries) > LOCAL_ENTRIES:
                self._entries.popitem(last=False)


_local = _Local()


def _lookup(key):
    """(current version, stored entry or None); version None if the cache failed. From this
    process's copies, or one round trip to Redis (MGET of the version and the answer)."""
    asked_at = time.monotonic()
    version = _local.version(asked_at)
    if version is not None and (entry := _local.get(key, version)) is not None:
        return version, entry
    found = _call("get_many", [VERSION_KEY, key])
    if found is FAILED:
        return None, None
    version = found.get(VERSION_KEY)
    if version is None:  # first use, or Redis was emptied
        _call("add", VERSION_KEY, _new_version(), timeout=None)
        version = _call("get", VERSION_KEY)
        if version is FAILED or version is None:
            return None, None
    _local.learn(version, asked_at)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 5 and stored[0] == version and stored[1] > time.time():
        _local.put(key, stored)
        return version, stored[2:]
    return version, None


def _store(key, version, entry):
    stored = (version, time.time() + lifetime(), *entry)
    if _call("set", key, stored, timeout=lifetime()) is not FAILED:
        _local.put(key, stored)


# ---------------------------------------------------------------------------------------------
# Answers


def _entry(request, response, csrf_flag_before):
    """(digest, body, headers) to answer with, or None if this response must not be reused."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    # Something in the render called get_token: the visitor's real token may be in the body.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not csrf_flag_before:
        return None
    body = response.content
    headers = tuple((name, value) for name, value in response.items() if name.lower() not in _NOT_STORED)
    return hashlib.blake2b(body, digest_size=12).hexdigest(), body, headers


def _etag(request, digest, kind):
    if not kind["per_visitor"]:
        return f'W/"{digest}"'
    # The body holds the visitor's CSRF token and (enquiries/attribution.py) their source token.
    visitor = f"{request.META.get('CSRF_COOKIE', '')}|{getattr(request, '_attribution_token', None) or ''}"
    return f'W/"{digest}-{hashlib.blake2b(visitor.encode(), digest_size=6).hexdigest()}"'


def _not_modified(request, etag):
    if request.method not in ("GET", "HEAD"):
        return False
    wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    return "*" in wanted or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in wanted}


def _headers(response, etag, kind):
    response["ETag"] = etag
    response["Cache-Control"] = kind["cache_control"]
    patch_vary_headers(response, kind["vary"])
    return response


def _answer(request, entry, kind):
    digest, body, headers = entry
    etag = _etag(request, digest, kind)
    if _not_modified(request, etag):
        return _headers(HttpResponseNotModified(), etag, kind)
    if kind["per_visitor"] and _PLACEHOLDER in body:
        body = body.replace(_PLACEHOLDER, get_token(request).encode())
        etag = _etag(request, digest, kind)  # a first visit has its CSRF secret only now
    response = HttpResponse(body)
    for name, value in headers:
        response[name] = value
    return _headers(response, etag, kind)


def _private(response):
    """Kept out of shared caches, and checked again before each reuse."""
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = "private, no-cache"
    return response


def _fresh(request, response, kind):
    """A rendered response that is not reused, with the visitor's own CSRF token in."""
    if kind["per_visitor"] and not response.streaming and _PLACEHOLDER in response.content:
        response.content = response.content.replace(_PLACEHOLDER, get_token(request).encode())
    return _private(response)


def serve(request, key, render, kind):
    """The answer for an anonymous GET/HEAD: stored, or `render()`ed (and stored if it may be)."""
    store = _store_usable()
    version = entry = None
    if store:
        version, entry = _lookup(key)
        if entry is not None:
            return _answer(request, entry, kind)
    csrf_flag_before = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    response = render()
    entry = _entry(request, response, csrf_flag_before)
    if entry is None:
        return _fresh(request, response, kind)
    if store and version is not None:
        _store(key, version, entry)
    return _answer(request, entry, kind)


# ---------------------------------------------------------------------------------------------
# Pages


def _anonymous_page_request(request):
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    return not len(get_messages(request))  # counted without marking them shown


def _render_with_placeholder(response):
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.context_data = {**(response.context_data or {}), "csrf_token": CSRF_PLACEHOLDER}
        response.render()
    return response


def cached_page(view=None, *, query=()):
    """Serve the view's TemplateResponse from the cache for anonymous visitors. `query` names the
    query-string parameters the page depends on (in the order given); others (utm_*, src) are
    left out of the key, so they cannot make every visit a miss."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _anonymous_page_request(request):
                return _private(view(request, *args, **kwargs))  # rendered as usual, with the real token
            kept = [(name, value) for name, values in request.GET.lists() if name in query for value in values]
            key = _key("page", request.scheme, request.get_host(), request.path, urlencode(kept))
            return serve(request, key, lambda: _render_with_placeholder(view(request, *args, **kwargs)), PAGE)

        return wrapped

    return decorator(view) if view is not None else decorator


def page_query(request, names):
    """The query string of `names` as the request gives them (for links that keep filters)."""
    return urlencode([(name, value) for name, values in request.GET.lists() if name in names for value in values])


# ---------------------------------------------------------------------------------------------
# API


class CachedReadMixin:
    """For a DRF view set: list and retrieve answered from the cache for anonymous clients (no
    Authorization header, not signed in). Put it first among the bases."""

    def list(self, request, *args, **kwargs):
        return self._cached(request, super().list, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._cached(request, super().retrieve, *args, **kwargs)

    def _cached(self, request, handler, *args, **kwargs):
        if (
            request.method not in ("GET", "HEAD")
            or "HTTP_AUTHORIZATION" in request.META
            or request.user.is_authenticated
        ):
            return handler(request, *args, **kwargs)
        # The body depends on the negotiated format and, through pagination links, the full URL.
        key = _key("api", request.accepted_media_type or "", request.build_absolute_uri())

        def render():
            response = self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)
            return response.render() if hasattr(response, "render") else response

        return serve(request, key, render, API)
