"""API keys for partner organisations (issue 13).

A key is shown once, when it is made; only its first characters (the prefix, to find it and to
show in the admin) and a SHA-256 hash of the whole key are stored. Keys are high-entropy random
tokens, so a plain hash is enough (no slow password hash is needed). Keys are revoked, never
deleted: bookings and leads made with one keep pointing at it.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


def default_bookings_per_hour():
    return settings.PARTNER_BOOKINGS_PER_HOUR


def default_leads_per_hour():
    return settings.PARTNER_LEADS_PER_HOUR


class PartnerKey(models.Model):
    organisation = models.CharField(max_length=200, help_text="The partner organisation this key is for.")
    contact_email = models.EmailField(help_text="Who to tell about this key (changes, revocation).")
    prefix = models.CharField(max_length=8, unique=True, editable=False, help_text="The key's first 8 characters.")
    key_hash = models.CharField(max_length=64, editable=False)
    bookings_per_hour = models.PositiveIntegerField(
        default=default_bookings_per_hour,
        validators=[MinValueValidator(1)],
        help_text="Bookings this key may make each clock hour.",
    )
    leads_per_hour = models.PositiveIntegerField(
        default=default_leads_per_hour,
        validators=[MinValueValidator(1)],
        help_text="Enquiries, callback requests and newsletter sign-ups this key may send each clock hour.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation", "-created_at"]
        verbose_name = "partner API key"

    def __str__(self):
        return f"{self.organisation} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def actor(self):
        """How changes made with this key are recorded in a booking's history."""
        return f"partner:{self.prefix} (API)"
