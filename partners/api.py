"""GET, POST /api/v1/webhooks/ and GET, DELETE /api/v1/webhooks/{id}/: a partner's own webhook
endpoints, with its partner key (Authorization: Bearer). The signing secret is in the 201 only."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from core.api import (
    BAD_BODY,
    BAD_CREDENTIALS,
    LIST_RESPONSES,
    NOT_JSON,
    STRICT_FILTER_BACKENDS,
    ApiErrorSerializer,
    StrictSerializer,
    service_errors,
)

from . import endpoints
from .auth import partner_key_of
from .models import EventType


class IsPartner(permissions.BasePermission):
    message = "Webhook endpoints belong to a partner: send your partner key (Authorization: Bearer <key>)."

    def has_permission(self, request, view):
        return partner_key_of(request) is not None


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="Where events are POSTed.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.values), read_only=True)
    description = serializers.CharField(read_only=True, help_text="May be empty.")
    created_at = serializers.DateTimeField(read_only=True)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…): check each request's Webhook-Signature with it. Shown only here.",
    )


@extend_schema_field({"type": "string", "format": "https-url", "maxLength": 500})
class HttpsUrlField(serializers.URLField):
    """A public https:// address (format `https-url`: what "uri" allows is wider, e.g. any scheme)."""


class WebhookEndpointCreateSerializer(StrictSerializer):
    url = HttpsUrlField(max_length=500, help_text="An https:// address on the internet (not a private or local one).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.values),
        min_length=1,
        max_length=len(EventType.values),
        help_text="The events this URL receives.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EndpointLimitReached(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "too_many_endpoints"


TOO_MANY = OpenApiResponse(
    ApiErrorSerializer, description="too_many_endpoints: the key has as many endpoints as it may (remove one)."
)
NOT_A_PARTNER = OpenApiResponse(ApiErrorSerializer, description="permission_denied: not a partner key.")
NO_SUCH_ENDPOINT = OpenApiResponse(ApiErrorSerializer, description="not_found: no such endpoint of yours.")


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook endpoints",
        responses={200: WebhookEndpointSerializer(many=True), **LIST_RESPONSES, 403: NOT_A_PARTNER},
    ),
    retrieve=extend_schema(
        summary="One of your webhook endpoints",
        responses={200: WebhookEndpointSerializer, 401: BAD_CREDENTIALS, 403: NOT_A_PARTNER, 404: NO_SUCH_ENDPOINT},
    ),
    create=extend_schema(
        summary="Register a webhook endpoint",
        request=WebhookEndpointCreateSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            400: BAD_BODY,
            401: BAD_CREDENTIALS,
            403: NOT_A_PARTNER,
            409: TOO_MANY,
            415: NOT_JSON,
        },
    ),
    destroy=extend_schema(
        summary="Stop sending to a webhook endpoint",
        responses={204: None, 401: BAD_CREDENTIALS, 403: NOT_A_PARTNER, 404: NO_SUCH_ENDPOINT},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsPartner]
    serializer_class = WebhookEndpointSerializer
    filter_backends = STRICT_FILTER_BACKENDS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return endpoints.partner_endpoints(partner_key_of(self.request))

    def create(self, request):
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            endpoint = endpoints.endpoint_register(partner_key=partner_key_of(request), **data.validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(service_errors(exc)) from None
        except endpoints.TooManyEndpoints as exc:
            raise EndpointLimitReached(str(exc)) from None
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        endpoints.endpoint_remove(endpoint=instance)
