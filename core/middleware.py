"""The Permissions-Policy header on every response: browser features no page uses (camera,
microphone, geolocation, payment, USB and the like) are turned off for our pages and anything they
embed, so an injected script or a framed page cannot ask for them.

Django has no setting for it (unlike Referrer-Policy), so settings.PERMISSIONS_POLICY, a dict of
feature to allowed origins ([] for none, ["self"] for our own pages), is written out here.
"""

from django.conf import settings

HEADER = "Permissions-Policy"


def header_value(policy):
    """{"camera": [], "fullscreen": ["self"]} -> 'camera=(), fullscreen=(self)'."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = header_value(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.value and HEADER not in response:
            response[HEADER] = self.value
        return response
