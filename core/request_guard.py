"""Requests that no page or API of ours can use are refused with a 400 before any view runs."""

from django.http import HttpResponseBadRequest, JsonResponse


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a form field: PostgreSQL cannot compare
    or store one, so a slug such as "a%00" used to reach the database and answer 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "bad_request", "detail": "NUL characters are not allowed."}, status=400)
            return HttpResponseBadRequest("NUL characters are not allowed.", content_type="text/plain")
        return self.get_response(request)


def _has_nul(request):
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    # Form posts to the pages only: reading request.POST here would make DRF take a form body it
    # should refuse (415); the API's JSON parser checks its own bodies (core/api.py).
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    if request.method == "POST" and request.content_type in forms and not request.path.startswith("/api/"):
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
    return False
