"""Idempotency-Key support for API writes: a retried request gets the first answer back.

A view calls `replay()` before doing anything; when there is nothing to replay it opens a
transaction, `claim()`s the key first, does its work and `store()`s its answer before the
transaction commits. So a failed request stores nothing, and a second request with the same key
that arrives while the first is still running waits on the key's unique index, then replays the
first answer (or gets 409 if the first takes longer than the lock timeout).

Each client's keys are kept apart (`client_key`): the same key from another partner key, user
or client address is another key, so one client can neither replay nor block another's answer.
`answer_once` is the claim, work and store above in one call.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from . import spam
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired
# Stored keys of client_key() start with this; a key as sent cannot (no spaces), so never clashes.
SCOPED_PREFIX = "client "
# How long a retry waits for the same key's first request to finish before its 409.
WAIT_MS = 5000


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request. Send a new key with a new request."


class IdempotencyRequestInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_request_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed. Retry shortly with the same key."


class KeyTaken(Exception):
    """Another request committed this key while we waited for it: replay its answer."""


def is_lock_timeout(exc):
    return getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def key_from(request):
    """The request's Idempotency-Key, None without one; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError({HEADER: ["Use 1 to 255 visible ASCII characters, for example a UUID."]})
    return key


def client_scope(request):
    """Whose keys these are: the signed-in user's (session or API token); else the credentials'
    (a partner key); else the client address's (an IPv6 /64, as the rate limits count it)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "pk", None) is not None:
        return f"{auth._meta.label_lower}:{auth.pk}"
    return f"address:{spam.rate_limit_bucket(spam.client_address(request))}"


def client_key(request):
    """The request's Idempotency-Key as stored for this client (client_scope), None without
    one; a malformed key is a 400."""
    key = key_from(request)
    if key is None:
        return None
    return SCOPED_PREFIX + hashlib.sha256(f"{client_scope(request)}\n{key}".encode()).hexdigest()


def fingerprint(request):
    """The same JSON body hashes the same whatever its key order or spacing."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def replay(key, request_hash):
    """The stored answer for `key`, or None if the key is new.

    Raises IdempotencyKeyReused when the key was used for a different request.
    """
    record = IdempotencyKey.objects.filter(key=key).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotencyRequestInProgress()
    return Response(record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def claim(key, request_hash, *, lock_timeout_ms=None):
    """Insert the key inside the caller's transaction, before any other write.

    Raises KeyTaken when another request committed the key first, and
    IdempotencyRequestInProgress when that request is still running after `lock_timeout_ms`.
    """
    if lock_timeout_ms is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(lock_timeout_ms)}ms"])
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(key=key, request_hash=request_hash)
    except IntegrityError as exc:
        raise KeyTaken(key) from exc
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise IdempotencyRequestInProgress() from exc
        raise


def store(record, *, status_code, body):
    record.status_code = status_code
    record.response_body = body
    record.save(update_fields=["status_code", "response_body"])


def answer_once(key, request_hash, work, *, status_code, wait_ms=WAIT_MS):
    """Do `work()` and answer `status_code` with the body it returns, once per key.

    Without a key, simply that. With one (call replay() first), in one transaction: the key is
    claimed, the work done and the answer stored, so a failure (an exception from work) stores
    nothing. A simultaneous request with the same key waits up to `wait_ms` for this one and
    then replays its answer (409 if it is still running). The wait applies to the claim only,
    not to the locks the work takes."""
    if key is None:
        return Response(work(), status=status_code)
    try:
        with transaction.atomic():
            previous = _lock_timeout()
            record = claim(key, request_hash, lock_timeout_ms=wait_ms)
            _set_lock_timeout(previous)
            body = work()
            store(record, status_code=status_code, body=body)
    except KeyTaken:
        replayed = replay(key, request_hash)
        if replayed is None:  # the other request failed after all: this one may be sent again
            raise IdempotencyRequestInProgress() from None
        return replayed
    return Response(body, status=status_code)


def _lock_timeout():
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


def _set_lock_timeout(value):
    if value is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [value])


def keys_expire(*, now=None):
    """Forget answers older than IDEMPOTENCY_KEY_HOURS (a retry comes within minutes, not days);
    returns how many were removed. The daily beat task calls it (core/tasks.py)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    removed, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return removed
