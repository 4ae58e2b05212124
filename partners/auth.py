"""`Authorization: Bearer <key>` for partner keys.

First in DEFAULT_AUTHENTICATION_CLASSES, so that every failed authentication (a bad partner key,
and also a bad `Token`) is a 401 carrying `WWW-Authenticate: Bearer realm="api"`: DRF takes that
header from the first authenticator, and answers 403 when it has none.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from . import services
from .models import PartnerKey

KEYWORD = "Bearer"


class PartnerKeyAuthentication(BaseAuthentication):
    """A valid key: request.user is anonymous and request.auth the PartnerKey. A key that is
    malformed, unknown or revoked: 401, the same answer for each."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        if len(words) != 2:
            raise AuthenticationFailed("Invalid API key.")
        try:
            key = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        partner_key = services.partner_key_find(key)
        if partner_key is None:
            raise AuthenticationFailed("Invalid API key.")
        return AnonymousUser(), partner_key

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


def partner_key_of(request):
    """The PartnerKey the request was made with, or None."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PartnerKey) else None


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <key>`: a partner organisation's API key, made and revoked by "
            "the office. Bookings and leads made with it are attributed to it and limited per key. A malformed, "
            "unknown or revoked key is 401 on every endpoint.",
        }
