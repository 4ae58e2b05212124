"""The public endpoints: enquiries, callback requests and their slots, newsletter sign-ups."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core import business_hours, idempotency, spam
from core.api import (
    BAD_BODY,
    NOT_JSON,
    ApiErrorSerializer,
    ApiValidationErrorSerializer,
    refuse_unknown_query_parameters,
    service_errors,
)
from core.parsers import JSONParser
from partners.auth import PartnerKeyAuthentication, partner_key_of

from .. import services
from ..models import LeadOrigin
from .common import IDEMPOTENCY_KEY, IDEMPOTENCY_RESPONSES
from .submissions import (
    CallbackCreatedSerializer,
    CallbackCreateSerializer,
    CallbackSlotSerializer,
    EnquiryCreateSerializer,
    LeadCreatedSerializer,
    NewsletterAcceptedSerializer,
    NewsletterSignupSerializer,
    RateLimitedSerializer,
)

NEWSLETTER_DETAIL = (
    "Check your inbox: we have sent an email with a link to confirm your subscription. "
    "If this address is already subscribed, nothing changes."
)


RATE_LIMITED = OpenApiResponse(
    RateLimitedSerializer,
    description="Too many submissions from this client address (or with this partner key: its leads_per_hour) "
    "in the last hour; see the Retry-After header. Nothing was created.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    {"type": "string", "pattern": "^[1-9][0-9]*$"},
    OpenApiParameter.HEADER,
    required=True,
    response=[429],
    description="Seconds until the hour's count starts again.",
)
UNAUTHORISED = OpenApiResponse(
    ApiErrorSerializer,
    description="authentication_failed: a malformed, unknown or revoked partner key (WWW-Authenticate: Bearer). "
    "Nothing was created. Without an Authorization header these operations need no credentials.",
)
INVALID = OpenApiResponse(
    BAD_BODY.response,
    description="invalid: fields that are wrong, missing or not recognised, each named in errors (a malformed "
    "Idempotency-Key too); parse_error: the body is not JSON. Nothing was created.",
)
# Anyone may call these; a partner key, when sent, is read (attribution and its own limits).
PUBLIC_AUTH = [{"partnerKey": []}, {}]


def create_responses(created):
    return {
        201: created,
        400: INVALID,
        401: UNAUTHORISED,
        **IDEMPOTENCY_RESPONSES,
        415: NOT_JSON,
        429: RATE_LIMITED,
    }


def _rate_limited(request, scope):
    """A 429 answer if this client address has sent too many, else None (and the submission counts).
    With a partner key, the key is counted instead of the address, against its own leads_per_hour."""
    partner_key = partner_key_of(request)
    if partner_key is not None:
        counted, scope, limit = "key", f"partner:{partner_key.pk}:{scope}", partner_key.leads_per_hour
    else:
        counted, limit = spam.client_address(request), None
    try:
        spam.check_rate_limit(counted, scope=scope, limit=limit)
    except spam.Rejected as exc:
        return Response(
            {"code": exc.code, "detail": exc.message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return None


def _attributed(request, data):
    """The lead's fields, with the partner key it was sent with (if any)."""
    if (partner_key := partner_key_of(request)) is not None:
        data["partner_key"] = partner_key
    return data


class PublicViewSet(viewsets.ViewSet):
    """Anyone may submit. Only a partner key is read (no session, so a signed-in browser needs no
    CSRF token); a bad one is a 401."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]

    def submit_once(self, request, serializer_class, submit, *, context=None):
        """Validate, count against the rate limit, and create (`submit(serializer)` returns the
        answer's body), once per Idempotency-Key: a retry with the same key and body gets the
        first answer back without creating or counting anything."""
        key = idempotency.client_key(request)
        request_hash = idempotency.fingerprint(request) if key else None
        if key and (replayed := idempotency.replay(key, request_hash)):
            return replayed
        serializer = serializer_class(data=request.data, context=context or {})
        serializer.is_valid(raise_exception=True)
        if refused := _rate_limited(request, "api-leads"):
            return refused

        def work():
            try:
                return submit(serializer)
            except DjangoValidationError as exc:
                raise ValidationError(service_errors(exc)) from exc

        return idempotency.answer_once(key, request_hash, work, status_code=status.HTTP_201_CREATED)


IDEMPOTENCY_NOTE = (
    " Send an Idempotency-Key to make retries safe: the same key with the same body answers the first answer "
    "again (Idempotent-Replayed: true) and creates nothing more; the same key with a different body is a 422."
)


class EnquiryViewSet(PublicViewSet):
    @extend_schema(
        summary="Send an in-house training enquiry",
        description="Creates a lead for the sales team, which gets an owner and a reply-by time; an "
        "acknowledgement goes to `email`. Limited per client address per hour; sent with a partner key "
        "(`Authorization: Bearer <key>`), the lead is attributed to the key and limited per key instead."
        + IDEMPOTENCY_NOTE,
        auth=PUBLIC_AUTH,
        request=EnquiryCreateSerializer,
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        responses=create_responses(LeadCreatedSerializer),
    )
    def create(self, request):
        def submit(serializer):
            data, tracking = serializer.split()
            data.pop("consent")
            courses = data.pop("courses")
            lead = services.enquiry_submit(
                data=_attributed(request, data), courses=courses, tracking=tracking, origin=LeadOrigin.API
            )
            return LeadCreatedSerializer(lead).data

        return self.submit_once(request, EnquiryCreateSerializer, submit)


class CallbackViewSet(PublicViewSet):
    @extend_schema(
        summary="Ask for a callback",
        description="Creates a callback lead. With a slot (callback_date and callback_period, one of those "
        "/api/v1/callbacks/slots/ offers) it is due at the slot's end; without one, within the callback "
        "target in business hours. Limited per client address per hour; sent with a partner key "
        "(`Authorization: Bearer <key>`), the lead is attributed to the key and limited per key instead."
        + IDEMPOTENCY_NOTE,
        auth=PUBLIC_AUTH,
        request=CallbackCreateSerializer,
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        responses=create_responses(CallbackCreatedSerializer),
    )
    def create(self, request):
        now = timezone.now()

        def submit(serializer):
            data, tracking = serializer.split()
            data.pop("consent")
            lead = services.callback_submit(
                data=_attributed(request, data), tracking=tracking, now=now, origin=LeadOrigin.API
            )
            return CallbackCreatedSerializer(lead).data

        return self.submit_once(request, CallbackCreateSerializer, submit, context={"now": now})

    @extend_schema(
        summary="Callback times on offer",
        description="The slots a callback may ask for now: the next three working days that have one, morning "
        "and afternoon, while at least 30 minutes of the slot remain. Takes no query parameters.",
        auth=PUBLIC_AUTH,
        responses={
            200: CallbackSlotSerializer(many=True),
            400: OpenApiResponse(ApiValidationErrorSerializer, description="invalid: a query parameter was sent."),
            401: UNAUTHORISED,
        },
    )
    @action(detail=False, methods=["get"])
    def slots(self, request):
        refuse_unknown_query_parameters(request, self, allowed=())
        now = timezone.now()
        rows = []
        for value, label in business_hours.callback_slots(now):
            day, period = business_hours.parse_slot(value)
            rows.append({"callback_date": day, "callback_period": period, "label": label})
        return Response(CallbackSlotSerializer(rows, many=True).data)


class NewsletterViewSet(PublicViewSet):
    @extend_schema(
        summary="Sign up for the newsletter",
        description="Starts double opt-in: an email with a confirmation link goes to the address, and the "
        "subscription starts when it is followed. Signing up again changes nothing. The answer is the same "
        "whether or not the address is already subscribed, so it reveals nothing about who is on the list. "
        "Limited per client address per hour, or per partner key when sent with one.",
        auth=PUBLIC_AUTH,
        request=NewsletterSignupSerializer,
        parameters=[RETRY_AFTER],
        responses={
            202: NewsletterAcceptedSerializer,
            400: INVALID,
            401: UNAUTHORISED,
            415: NOT_JSON,
            429: RATE_LIMITED,
        },
    )
    def create(self, request):
        serializer = NewsletterSignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if refused := _rate_limited(request, "api-newsletter"):
            return refused
        data, tracking = serializer.split()
        try:
            services.newsletter_subscribe(
                email=data["email"], name=data["name"], sector=data["sector"], tracking=tracking
            )
        except DjangoValidationError as exc:
            raise ValidationError(service_errors(exc)) from exc
        return Response({"status": "pending", "detail": NEWSLETTER_DETAIL}, status=status.HTTP_202_ACCEPTED)
