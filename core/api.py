"""Shared API plumbing for every app's endpoints: one error format, strict pagination, refusing
what an endpoint does not know (query parameters and body fields), and the schema pieces that
say so.

Errors look like {"code": "...", "detail": "...", "errors": {field: [messages]}}; "errors" is
present only for validation failures (not for a body that is not JSON: code parse_error).

Unknown query parameters: a list view puts `KnownQueryParameters` first in its filter_backends
(`STRICT_FILTER_BACKENDS` is that plus django-filter), or calls `refuse_unknown_query_parameters`
itself. A parameter the view does not know (its filterset's, the page's, and any in the view's
`extra_query_parameters`), a known one given twice or given empty, is a 400 naming it, never
silently ignored.
"""

import datetime
import re
from collections.abc import Mapping

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.validators import RegexValidator, validate_slug
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, relations, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _whole_number(raw, name, *, maximum=None):
    """A query parameter that must be a whole number from 1 (to `maximum`): a 400 otherwise."""
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1 or (maximum and int(raw) > maximum):
        upto = f" to {maximum}" if maximum else " or more"
        raise ValidationError({name: [f"Give a whole number from 1{upto}."]})
    return int(raw)


class Pagination(PageNumberPagination):
    """Pages of 20 (page_size up to 100). A page or page_size that is not a whole number in range
    is a 400, not silently the first page or the default size; a page past the last is a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()
    invalid_page_message = "There is no page {page_number}."

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        return 1 if raw is None else _whole_number(raw, self.page_query_param)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _whole_number(raw, self.page_size_query_param, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1. Past the last page: 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "description": "Results on all pages."},
                "next": {**link, "description": "The next page's URL; null on the last page."},
                "previous": {**link, "description": "The previous page's URL; null on the first page."},
                "results": schema,
            },
        }


# ---------------------------------------------------------------------------------------------
# Query strings: what a view does not know is refused


def allowed_query_parameters(view):
    """The names a list view reads: its filterset's, the paginator's and `extra_query_parameters`."""
    names = set(getattr(view, "extra_query_parameters", ()))
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        names.update(filterset_class.base_filters)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names.update(
            name
            for name in (
                getattr(paginator, "page_query_param", None),
                getattr(paginator, "page_size_query_param", None),
            )
            if name
        )
    return names


def refuse_unknown_query_parameters(request, view, allowed=None):
    """400 naming each query parameter the view does not read, each known one given twice, and
    each given empty (`?course=`: leave it out instead, so that it is never unclear whether an
    empty value filters for nothing or for everything)."""
    allowed = allowed_query_parameters(view) if allowed is None else set(allowed)
    errors = {}
    for name, values in request.query_params.lists():
        if name not in allowed:
            errors[name] = ["This query parameter is not recognised."]
        elif len(values) > 1:
            errors[name] = ["Give this query parameter once."]
        elif values == [""]:
            errors[name] = ["Give a value, or leave this query parameter out."]
    if errors:
        raise ValidationError(errors)


class KnownQueryParameters(BaseFilterBackend):
    """A filter backend that filters nothing: it refuses unknown query parameters (see above).
    Put it first, so a misspelt filter is named before the others are checked."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") == "list":  # a list, not one item looked up by get_object()
            refuse_unknown_query_parameters(request, view)
        return queryset


STRICT_FILTER_BACKENDS = [KnownQueryParameters, DjangoFilterBackend]

# Filters that name a thing by its slug or id. A malformed value is a 400 (and outside the
# schema's pattern); a well-formed one that names nothing should be a 404, as an unknown slug or
# id in a path is: the FilterSet's filter_queryset checks and raises NotFound.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
ID_PATTERN = r"^[1-9][0-9]*$"  # past the largest id there is: names nothing, a 404 as in a path


class _UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time (UK time without an offset) in UTC. PostgreSQL refuses offsets beyond
    +-15:59 and Python times outside years 1 to 9999, which ISO 8601 allows: a time past either
    end is the earliest or latest there is, which filters the same."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            return (
                datetime.datetime.min.replace(tzinfo=datetime.UTC)
                if moment.year < 2
                else datetime.datetime.max.replace(tzinfo=datetime.UTC)
            )


class SinceFilter(django_filters.IsoDateTimeFilter):
    """`modified_since`: changed at or after this time."""

    field_class = _UtcIsoDateTimeField


def slug_filter(field_name, label):
    return extend_schema_field({"type": "string", "pattern": SLUG_PATTERN, "description": label})(
        django_filters.CharFilter(field_name=field_name, label=label, validators=[validate_slug], strip=False)
    )


def id_filter(field_name, label):
    return extend_schema_field({"type": "integer", "minimum": 1, "description": label})(
        django_filters.CharFilter(
            field_name=field_name,
            label=label,
            strip=False,
            validators=[RegexValidator(ID_PATTERN, "Give an id: a whole number from 1.")],
        )
    )


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


def _json_type_error(field, value):
    """The error when `value` is not the JSON type `field` takes, or None. DRF would read "true" as
    true, "12" or 12.0 as 12 and 12 as "12"; here a field takes its own JSON type only (lists,
    objects and null are left to DRF, which is already strict about them)."""
    if value is None or field.read_only:
        return None
    if isinstance(field, serializers.BooleanField):
        ok, key = isinstance(value, bool), "invalid"
    elif isinstance(field, serializers.IntegerField):
        ok, key = isinstance(value, int) and not isinstance(value, bool), "invalid"
    elif isinstance(field, relations.PrimaryKeyRelatedField):
        ok, key = isinstance(value, int) and not isinstance(value, bool), "incorrect_type"
    elif isinstance(field, serializers.MultipleChoiceField):
        return None
    elif isinstance(field, serializers.ChoiceField):
        if not all(isinstance(choice, str) for choice in field.choices):
            return None
        ok, key = isinstance(value, str), "invalid_choice"
    elif isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField):
        ok, key = isinstance(value, str), "invalid"
    else:
        return None
    if ok:
        return None
    try:
        field.fail(key, input=value, data_type=type(value).__name__, format="YYYY-MM-DD")
    except ValidationError as exc:
        return exc.detail
    return None


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is an error rather than ignored, and
    values of another JSON type ("true" for true, "12" for 12, 12 for "12"). Its schema says so:
    additionalProperties false (StrictSerializerSchema below)."""

    def to_internal_value(self, data):
        unknown, wrong_type = {}, {}
        if isinstance(data, Mapping):
            unknown = {name: ["This field is not recognised."] for name in data if name not in self.fields}
            for name, value in data.items():
                if name in self.fields and (error := _json_type_error(self.fields[name], value)):
                    wrong_type[name] = error
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            raise ValidationError({**exc.detail, **wrong_type, **unknown}) from None
        if unknown or wrong_type:
            raise ValidationError({**wrong_type, **unknown})
        return value


class StrictSerializerSchema(OpenApiSerializerExtension):
    """A StrictSerializer's schema: as a request, no properties but its own (additionalProperties
    false) and its lists' lengths (minItems, maxItems); as an answer, every field is always
    present, so every one is required."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if type(self.target).__dict__.get("__doc__") is None:
            schema.pop("description", None)  # not StrictSerializer's own docstring on every component
        if direction == "request":
            schema["additionalProperties"] = False
            for name, field in self.target.fields.items():
                if (
                    isinstance(field, serializers.ListSerializer | serializers.ListField)
                    and name in schema["properties"]
                ):
                    if not field.allow_empty:
                        schema["properties"][name]["minItems"] = max(1, field.min_length or 1)
                    if field.max_length is not None:
                        schema["properties"][name]["maxItems"] = field.max_length
        else:
            schema["required"] = sorted(schema["properties"])
        return schema


# For required text: DRF trims whitespace (str.strip) and refuses what is left blank; the pattern
# (a character that is not whitespace) tells the schema so. Written out rather than \S, which
# differs between Python (\x1c-\x1f and \x85 are whitespace) and the schema's ECMA dialect (\ufeff is).
VISIBLE_PATTERN = r"[^\t-\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
VISIBLE_TEXT = RegexValidator(VISIBLE_PATTERN, "This field may not be blank.")


@extend_schema_field({"type": "boolean", "enum": [True]})
class TrueField(serializers.BooleanField):
    """A boolean that must be true, such as accepting the terms; its schema says so."""

    def __init__(self, *, message, **kwargs):
        self.message = message
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if super().to_internal_value(data) is not True:
            raise ValidationError(self.message)
        return True


# Error bodies, for the schema.


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ApiValidationErrorSerializer(ApiErrorSerializer):
    errors = serializers.DictField(
        help_text='Messages per field, e.g. {"contact_phone": ["..."]}. errors.delegates is an object keyed by '
        'the delegate\'s index from 0, e.g. {"1": {"email": ["..."]}}, and non_field_errors for the list as a whole.'
    )


class ApiBadRequestErrorSerializer(ApiErrorSerializer):
    """A 400 for a request with a body: invalid fields, or a body that is not JSON at all."""

    code = serializers.ChoiceField(
        choices=[("invalid", "Invalid fields, each named in errors"), ("parse_error", "The body is not valid JSON")]
    )
    errors = serializers.DictField(
        required=False,
        help_text="With code invalid: messages per field, as for ApiValidationError (unknown fields and the "
        "Idempotency-Key header too). Absent with parse_error.",
    )


# The answers most operations share, for their `responses`.
BAD_QUERY = OpenApiResponse(
    ApiValidationErrorSerializer,
    description="invalid: an unknown query parameter, one given twice, or an invalid value; errors names each.",
)
BAD_BODY = OpenApiResponse(
    ApiBadRequestErrorSerializer,
    description="invalid: fields that are wrong, missing or not recognised, each named in errors; parse_error: "
    "the body is not JSON (nested too deeply, or with a NUL character, included). Nothing was changed.",
)
BAD_CREDENTIALS = OpenApiResponse(
    ApiErrorSerializer,
    description="authentication_failed: credentials were sent but are malformed, unknown or revoked (a partner "
    "key or an API token); see WWW-Authenticate. Public operations need none.",
)
NO_SUCH_PAGE = OpenApiResponse(ApiErrorSerializer, description="not_found: there is no such page.")
NOT_JSON = OpenApiResponse(ApiErrorSerializer, description="unsupported_media_type: send the body as application/json.")
LIST_RESPONSES = {400: BAD_QUERY, 401: BAD_CREDENTIALS, 404: NO_SUCH_PAGE}


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


def require_request_bodies(result, **kwargs):
    """A schema post-processing hook (SPECTACULAR_SETTINGS POSTPROCESSING_HOOKS): a request body is
    required whenever what it holds has required fields (drf-spectacular only says so for a plain
    serializer, not for one written out or offered in shapes, as PATCH /bookings/{reference}/ and
    POST /bookings/ are). A body whose every field is optional stays optional."""
    schemas = result.get("components", {}).get("schemas", {})

    def needs_body(schema):
        if "$ref" in schema:
            schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if schema.get("required"):
            return True
        shapes = schema.get("oneOf") or schema.get("anyOf") or []
        return bool(shapes) and all(needs_body(shape) for shape in shapes)

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and any(needs_body(media.get("schema", {})) for media in body.get("content", {}).values()):
                body["required"] = True
    return result
