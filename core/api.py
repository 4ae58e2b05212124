"""Shared API plumbing: pagination and one error format for every endpoint.

Errors look like {"code": "...", "detail": "...", "errors": {field: [messages]}}; "errors" is
present only for validation failures.
"""

import re
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def exception_handler(exc, context):
    # Django's own exceptions become DRF's, so that they carry a code like the rest.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"code": "invalid", "detail": "The request has invalid fields.", "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    detail = getattr(exc, "detail", None)
    code = getattr(exc, "default_code", "error")
    if hasattr(exc, "get_codes"):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    response.data = {"code": code, "detail": str(detail) if detail is not None else str(exc)}
    return response


# Shared by every app's API: UK times, refusing unknown fields, the error bodies for the schema,
# and a service's ValidationError in the serializers' shape.


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UK time with its offset: +00:00 in winter (where DRF would write Z), +01:00 in summer."""

    def to_representation(self, value):
        return timezone.localtime(value).isoformat()


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is an error rather than ignored."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {name: ["This field is not recognised."] for name in data if name not in self.fields}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            raise ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise ValidationError(unknown)
        return value


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ApiValidationErrorSerializer(ApiErrorSerializer):
    errors = serializers.DictField(
        help_text='Messages per field, e.g. {"contact_phone": ["..."]}. errors.delegates is an object keyed by '
        'the delegate\'s index from 0, e.g. {"1": {"email": ["..."]}}, and non_field_errors for the list as a whole.'
    )


DELEGATE_ERROR_KEY = re.compile(r"delegates\[(\d+)\](?:\.(\w+))?")


def service_errors(exc):
    """A service's ValidationError in the shape the serializers give: the same errors, same place."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: exc.messages}
    errors = {}
    rows = {}
    for field, messages in exc.message_dict.items():
        if match := DELEGATE_ERROR_KEY.fullmatch(field):
            rows.setdefault(int(match[1]), {}).setdefault(match[2] or NON_FIELD, []).extend(messages)
        elif field == "delegates":
            errors["delegates"] = {NON_FIELD: messages}
        elif field == NON_FIELD_ERRORS:
            errors[NON_FIELD] = messages
        else:
            errors[field] = messages
    if rows:
        errors["delegates"] = {**errors.get("delegates", {}), **rows}
    return errors
