"""Adding the trailing slash without losing the request.

Django's CommonMiddleware answers a URL missing its slash with a 301, which browsers and most
HTTP clients follow with a GET and no body (so a POST to /api/v1/bookings became a GET), and with
DEBUG on it raises for POST, PUT and PATCH: a 500. Here pages read with GET or HEAD keep the
301; anything else, and everything under /api/, gets a 308, which keeps the method and body; the
API's says so in its usual JSON error shape.
"""

import json

from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes


class HttpResponsePermanentRedirectKeepMethod(HttpResponseRedirectBase):
    status_code = 308


class SlashMiddleware(CommonMiddleware):
    def get_full_path_with_slash(self, request):
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.status_code == 301 and self._needs_method_kept(request):
            location = response["Location"]
            response = HttpResponsePermanentRedirectKeepMethod(location)
            if request.path.startswith("/api/"):
                response["Content-Type"] = "application/json"
                response.content = json.dumps(
                    {"code": "trailing_slash", "detail": f"This address ends with a slash: {location}"}
                )
        return response

    @staticmethod
    def _needs_method_kept(request):
        return request.method not in ("GET", "HEAD") or request.path.startswith("/api/")
