"""A partner registers and removes its own webhook endpoints (POST/DELETE /api/v1/webhooks/).
The office does the same in the admin; both keep to the same rules: a public https URL, known
events, and at most WEBHOOK_ENDPOINTS_PER_PARTNER active endpoints a key."""

from django.conf import settings
from django.db import transaction

from .models import PartnerKey, WebhookEndpoint


class TooManyEndpoints(Exception):
    """The key has as many active endpoints as it may."""


def partner_endpoints(partner_key):
    return WebhookEndpoint.objects.filter(partner_key=partner_key, active=True).order_by("pk")


@transaction.atomic
def endpoint_register(*, partner_key, url, events, description=""):
    """A new active endpoint for the partner; its secret is on the returned row."""
    PartnerKey.objects.select_for_update().get(pk=partner_key.pk)  # one count at a time per key
    if partner_endpoints(partner_key).count() >= settings.WEBHOOK_ENDPOINTS_PER_PARTNER:
        raise TooManyEndpoints(
            f"A partner key may have at most {settings.WEBHOOK_ENDPOINTS_PER_PARTNER} endpoints. Remove one first."
        )
    endpoint = WebhookEndpoint(
        partner_key=partner_key, url=url.strip(), events=list(dict.fromkeys(events)), description=description.strip()
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def endpoint_remove(*, endpoint):
    """Stop sending to it. Kept, inactive, with its deliveries, for the office's records."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
