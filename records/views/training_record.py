"""Written by the helper that owns this module."""

from django.http import Http404


def record(request, token):
    raise Http404


def csv_download(request, token):
    raise Http404
