"""Leads endpoints: enquiries, callback requests and newsletter sign-ups from anyone; the leads
pipeline for sales staff.

Serializers check shape and types only; the rules live in enquiries.services, whose
ValidationError becomes a 400 with field errors in the shared format. The public endpoints are
rate-limited per client address (core.spam); the honeypot and minimum-time checks are for the
web forms, which a person fills in, and do not apply here.

The leads endpoints are for sales staff only, by a per-user token (``Authorization: Token <key>``,
created and revoked in the admin) or a signed-in session.
"""

from .public import CallbackViewSet, EnquiryViewSet, NewsletterViewSet
from .staff import LeadViewSet

__all__ = ["CallbackViewSet", "EnquiryViewSet", "LeadViewSet", "NewsletterViewSet"]
