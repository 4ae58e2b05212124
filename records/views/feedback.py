"""Written by the helper that owns this module."""

from django.http import Http404


def give(request, token):
    raise Http404


def thanks(request, token):
    raise Http404
