"""What the lead services share: the Sales group, tracking fields and the timeline."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from ..channels import channel_for
from ..models import (
    Lead,
    LeadActivity,
)

SALES_GROUP = "Sales"
SALES_MANAGERS_GROUP = "Sales managers"
TRACKING_FIELDS = ["landing_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]


def _actor_name(actor):
    return actor.get_username() if actor is not None else "system"


def _activity(lead, kind, text, *, actor=None, outcome="", when=None):
    return LeadActivity.objects.create(
        lead=lead, kind=kind, text=text, author=actor, outcome=outcome, created_at=when or timezone.now()
    )


def person_name(user, default=""):
    """How staff are named on pages and in emails: full name, else username; `default` for nobody."""
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


def sales_staff():
    """Active users in the Sales group: who can own leads."""
    return get_user_model().objects.filter(is_active=True, groups__name=SALES_GROUP).order_by("first_name", "username")


def active_sellers():
    """Who still works leads: active Sales staff, and active superusers (who may own leads).
    A lead owned by anyone else has in effect no owner: its alerts go to the sales inbox and a
    new lead like it goes to the round robin."""
    return (
        get_user_model().objects.filter(Q(groups__name=SALES_GROUP) | Q(is_superuser=True), is_active=True).distinct()
    )


def is_active_seller(user):
    return user is not None and active_sellers().filter(pk=user.pk).exists()


def _tracking(tracking, origin=""):
    """The tracking fields, cut to length, and the channel they normalise to."""
    fields = {
        name: str(tracking.get(name, "") or "")[: 500 if name in ("landing_page", "referrer") else 100]
        for name in TRACKING_FIELDS
    }
    fields["channel"] = channel_for(fields["utm_source"], fields["referrer"], origin)
    return fields


def _lock(lead):
    """The lead, locked for this transaction. An anonymised lead can no longer be worked."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.anonymised_at:
        raise ValidationError(
            "This lead's personal data was removed under the retention policy; it can no longer be worked.",
            code="lead_anonymised",
        )
    return lead
