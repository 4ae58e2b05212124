"""Partner keys: make one (the full key returned once), find one from a presented key, revoke."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import PartnerKey

PREFIX_LENGTH = 8
# last_used_at is written at most this often per key, so each request does not write a row.
LAST_USED_GRANULARITY = timedelta(minutes=5)


def key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    partner_key: PartnerKey
    key: str  # the full key: show it once, then forget it


@transaction.atomic
def partner_key_create(*, organisation, contact_email, created_by=None, bookings_per_hour=None, leads_per_hour=None):
    """A new key. The returned NewKey.key is the only copy of the secret."""
    while True:
        key = secrets.token_urlsafe(32)
        if not PartnerKey.objects.filter(prefix=key[:PREFIX_LENGTH]).exists():
            break
    partner_key = PartnerKey(
        organisation=organisation.strip(),
        contact_email=contact_email.strip(),
        prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_by=created_by,
    )
    if bookings_per_hour is not None:
        partner_key.bookings_per_hour = bookings_per_hour
    if leads_per_hour is not None:
        partner_key.leads_per_hour = leads_per_hour
    partner_key.full_clean()
    partner_key.save()
    return NewKey(partner_key=partner_key, key=key)


def partner_key_find(key, *, now=None):
    """The active PartnerKey for a presented key, or None (unknown, wrong or revoked)."""
    if len(key) <= PREFIX_LENGTH:
        return None
    partner_key = PartnerKey.objects.filter(prefix=key[:PREFIX_LENGTH]).first()
    if partner_key is None or not hmac.compare_digest(partner_key.key_hash, key_hash(key)):
        return None
    if partner_key.revoked_at is not None:
        return None
    now = now or timezone.now()
    if partner_key.last_used_at is None or now - partner_key.last_used_at >= LAST_USED_GRANULARITY:
        PartnerKey.objects.filter(pk=partner_key.pk).update(last_used_at=now)
        partner_key.last_used_at = now
    return partner_key


def partner_key_revoke(*, partner_key, now=None):
    """Revoke the key at once; revoking again changes nothing. Returns True if it was active."""
    return bool(PartnerKey.objects.filter(pk=partner_key.pk, revoked_at=None).update(revoked_at=now or timezone.now()))
