"""Written by the helper that owns this module."""

from django.http import Http404


def take(request, token):
    raise Http404
