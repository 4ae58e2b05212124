"""Spam and abuse checks shared by the public lead forms and the API.

- A honeypot field people never see; bots fill it.
- A minimum time between showing a form and submitting it (the form carries a signed time).
- A rate limit per client address, counted in the cache (Redis when REDIS_URL is set, so every
  web process shares the count); the limit is a setting read from the environment.
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache

HONEYPOT_FIELD = "website"
TIMESTAMP_SALT = "lead-form-rendered"

logger = logging.getLogger(__name__)


class Rejected(Exception):
    """The submission is refused; `message` is safe to show the person. `retry_after` is in
    seconds, for a rate limit."""

    def __init__(self, message, code, retry_after=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


def form_timestamp():
    return signing.dumps(time.time(), salt=TIMESTAMP_SALT)


def check_honeypot(value):
    if value:
        raise Rejected("Your message could not be sent. Please call us instead.", "honeypot")


def check_min_time(token, *, now=None):
    now = now or time.time()
    try:
        shown = signing.loads(token or "", salt=TIMESTAMP_SALT, max_age=60 * 60 * 24)
    except signing.BadSignature:
        raise Rejected("This form has expired. Please reload the page and try again.", "form_expired") from None
    if now - float(shown) < settings.LEADS_MIN_SUBMIT_SECONDS:
        raise Rejected("That was very quick. Please check your details and send the form again.", "too_fast")


def client_address(request):
    """The client's address. Behind TRUSTED_PROXIES proxies, the address the outermost trusted
    proxy saw (entries further left can be forged by the client); otherwise REMOTE_ADDR."""
    proxies = settings.TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_bucket(address):
    """What one client is counted as: its IPv4 address, or its IPv6 /64 (one home or office
    network gets a whole /64, so counting single IPv6 addresses would give it endless buckets)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def check_rate_limit(address, *, scope="leads", limit=None):
    """Count one submission from `address`; refuse past `limit` (LEADS_RATE_LIMIT_PER_HOUR unless
    given) in the clock hour.

    The count lives in the cache (Redis). When the cache fails or hangs, the submission goes
    through and the failure is logged: losing a lead or a booking is worse than a missed limit."""
    limit = settings.LEADS_RATE_LIMIT_PER_HOUR if limit is None else limit
    now = time.time()
    window = int(now // 3600)
    key = f"ratelimit:{scope}:{rate_limit_bucket(address)}:{window}"
    try:
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
            count = 1
    except Exception as exc:  # the cache is down or hung: fail open
        logger.warning("Rate limit for %s not checked, the cache failed: %s: %s", scope, type(exc).__name__, exc)
        return
    if count > limit:
        raise Rejected(
            "We have received several messages from you in the last hour. Please call us, or try again later.",
            "rate_limited",
            retry_after=int(3600 - now % 3600) + 1,
        )
