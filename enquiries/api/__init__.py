"""Leads endpoints: enquiries, callback requests and newsletter sign-ups from anyone; the leads
pipeline for sales staff.

Serializers check shape and types only; the rules live in enquiries.services, whose
ValidationError becomes a 400 with field errors in the shared format. The public endpoints are
rate-limited per client address (core.spam); the honeypot and minimum-time checks are for the
web forms, which a person fills in, and do not apply here.

The leads endpoints are for sales staff only, by a per-user token (``Authorization: Token <key>``,
created and revoked in the admin) or a signed-in session; without credentials they answer 401
with the API's challenge (WWW-Authenticate: Bearer realm="api"), a partner key is 403. The list
searches as the admin's lead search does; a call is logged with the admin's rules.

Modules: public.py (the public viewsets) and submissions.py (what they take and answer);
staff.py (the leads viewset, its filters), leads.py (a lead as answered) and work.py (the PATCH
and a call as sent); common.py (shared fields, shapes, the Idempotency-Key).
"""

from .public import CallbackViewSet, EnquiryViewSet, NewsletterViewSet
from .staff import LeadViewSet

__all__ = ["CallbackViewSet", "EnquiryViewSet", "LeadViewSet", "NewsletterViewSet"]
