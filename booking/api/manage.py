"""A booking after it is made: read it, add the PO, change its delegates, cancel it.

The same services as the manage pages, with the same rules. Who may do this is decided in one
place, access.booking_access: the booker (manage token), the partner key that made the booking,
or office staff. No credentials, or credentials valid for nothing, is a 401 whatever the
reference; credentials valid for something else get the same 404 as a reference that does not
exist, so a reference alone reveals nothing, not even that the booking exists.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import spam
from core.api import BAD_BODY, NON_FIELD, NOT_JSON, ApiErrorSerializer, service_errors
from core.parsers import JSONParser

from .. import services
from ..models import REFERENCE_ALPHABET, REFERENCE_LENGTH, purchase_order_validator
from .access import BookingTokenAuthentication, booking_access
from .serializers import (
    BookingChangeConflictSerializer,
    BookingSerializer,
    CancelSerializer,
    DelegatesAddSerializer,
    DelegateSerializer,
    PurchaseOrderSerializer,
)
from .views import booking_body

# ---------------------------------------------------------------------------------------------
# Schema pieces

REFERENCE = OpenApiParameter(
    "reference",
    {"type": "string", "pattern": f"^[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$"},
    OpenApiParameter.PATH,
    description="The booking's reference, e.g. 7KQ2MXRD.",
)
DELEGATE_ID = OpenApiParameter(
    "delegate_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delegate's id, from delegates[].id."
)
ACCESS = (
    "\n\nSend the manage token as `Authorization: Booking <token>`, or the partner API key that made the "
    "booking as `Authorization: Bearer <key>`, or be signed in as office staff. No credentials, or a token "
    "or key that is not valid (malformed, replaced by a newer manage link, expired when the session ended), "
    "is 401. Valid credentials for something else (another booking's token, another partner's key) are "
    "404, the same as for a reference that does not exist."
)
CHANGE = (
    " The same rules as the manage page: no changes online once booking for the session has closed (409 "
    "with the reason's code), none to a cancelled booking, none before the booker has confirmed their email. "
    "Staff with booking.change_booking act as the office (past those limits, as in the admin); staff who may "
    "only read bookings get 403."
)
# Written out: for a PATCH drf-spectacular would document PurchaseOrderSerializer with nothing
# required, but purchase_order is.
PURCHASE_ORDER_REQUEST = {
    "application/json": {
        "type": "object",
        "properties": {
            "purchase_order": {
                "type": "string",
                "minLength": 1,
                "maxLength": 50,
                "pattern": purchase_order_validator.regex.pattern,
                "description": PurchaseOrderSerializer().fields["purchase_order"].help_text,
            }
        },
        "required": ["purchase_order"],
        "additionalProperties": False,
    }
}
NOT_FOUND_RESPONSE = OpenApiResponse(
    ApiErrorSerializer,
    description="No such booking, or credentials that are not for it (the same answer either way).",
)
UNAUTHENTICATED = OpenApiResponse(
    ApiErrorSerializer,
    description="not_authenticated: no credentials; authentication_failed: a booking token, partner key or API "
    "token that is not valid (malformed, replaced, expired or revoked). WWW-Authenticate names the schemes.",
)
CHANGE_RESPONSES = {
    200: BookingSerializer,
    400: BAD_BODY,
    401: UNAUTHENTICATED,
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="permission_denied: staff who may read bookings but not change them, or signed in through the "
        "site (session cookie) without the CSRF token.",
    ),
    404: NOT_FOUND_RESPONSE,
    409: BookingChangeConflictSerializer,
    415: NOT_JSON,
}
DELEGATE_CHANGE_RESPONSES = {
    **CHANGE_RESPONSES,
    404: OpenApiResponse(ApiErrorSerializer, description="No such booking or no valid token, or no such delegate."),
    429: OpenApiResponse(
        ApiErrorSerializer,
        description="rate_limited: BOOKING_CHANGES_PER_HOUR delegate changes an hour, per booking and per client "
        "address, for the booker (changes email the people named); see Retry-After.",
    ),
}


# ---------------------------------------------------------------------------------------------
# Views


class BookingManageViewSet(viewsets.ViewSet):
    parser_classes = [JSONParser]
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, BookingTokenAuthentication]
    # Who may do what is decided by booking_access, not by permission classes; nobody anonymous.
    permission_classes = []
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"

    def get_authenticate_header(self, request):
        # Every way in, for a 401: the partner key's scheme and the manage token's.
        return 'Bearer realm="api", Booking realm="api"'

    def finalize_response(self, request, response, *args, **kwargs):
        # A booking's details are private: never stored by a browser or proxy.
        add_never_cache_headers(response)
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="A booking",
        description="The booking as it stands: status (cancelled included), delegates with their ids, totals." + ACCESS,
        parameters=[REFERENCE],
        responses={200: BookingSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND_RESPONSE},
    )
    def retrieve(self, request, reference):
        access = booking_access(request, reference)
        return Response(booking_body(access.booking, manage_url=access.may_change))

    @extend_schema(
        summary="Add the purchase order",
        description="Only purchase_order may be sent. An awaiting_po booking becomes confirmed. A PO is taken "
        "until the session ends, also after booking has closed; not for a cancelled booking (409 booking_cancelled) "
        "nor before the booker has confirmed their email (409 email_not_confirmed). Staff who may only read "
        "bookings get 403." + ACCESS,
        parameters=[REFERENCE],
        request=PURCHASE_ORDER_REQUEST,
        responses=CHANGE_RESPONSES,
    )
    def partial_update(self, request, reference):
        access = self._may_change(request, reference)
        data = self._valid(PurchaseOrderSerializer, request)
        return self._run(
            access,
            lambda: services.booking_add_po(
                booking=access.booking,
                purchase_order=data["purchase_order"],
                actor=access.actor,
                by_staff=access.by_staff,
            ),
        )

    @extend_schema(
        summary="Cancel a booking",
        description="Cancels the booking; its seats go to the waiting list. The booking terms say what is "
        "charged. The booker cannot cancel an in-house course here (409 in_house): it is arranged with the office."
        + CHANGE
        + ACCESS,
        parameters=[REFERENCE],
        request=CancelSerializer,
        responses=CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference):
        access = self._may_change(request, reference)
        self._not_in_house(access, "To cancel or move an in-house course, please call us on {phone}.")
        data = self._valid(CancelSerializer, request)
        return self._run(
            access,
            lambda: services.booking_cancel(
                booking=access.booking, reason=data["reason"], actor=access.actor, by_staff=access.by_staff
            ),
        )

    @extend_schema(
        summary="Add delegates",
        description="Adds 1 to 100 delegates, all or none. A booking holding seats needs a seat for each "
        "(409 insufficient_seats); a waitlisted one waits for them too. Each delegate is emailed." + CHANGE + ACCESS,
        parameters=[REFERENCE],
        request=DelegatesAddSerializer,
        responses=DELEGATE_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"], url_path="delegates")
    def add_delegates(self, request, reference):
        access = self._may_change(request, reference)
        self._not_in_house(access, "People join an in-house course by registering from its registration link.")
        data = self._valid(DelegatesAddSerializer, request)
        self._rate_limit(request, access)
        rows = [services.DelegateData(**row) for row in data["delegates"]]
        return self._run(
            access,
            lambda: services.booking_add_delegates(
                booking=access.booking, delegates=rows, actor=access.actor, by_staff=access.by_staff
            ),
        )

    @extend_schema(
        summary="Remove a delegate",
        description="The booking keeps at least one delegate (409 last_delegate: cancel the booking instead)."
        + CHANGE
        + ACCESS,
        parameters=[REFERENCE, DELEGATE_ID],
        request=None,
        # No body to be wrong, so no 400 or 415.
        responses={code: answer for code, answer in DELEGATE_CHANGE_RESPONSES.items() if code not in (400, 415)},
    )
    @action(detail=True, methods=["delete"], url_path=r"delegates/(?P<delegate_id>[0-9]+)")
    def remove_delegate(self, request, reference, delegate_id):
        access = self._may_change(request, reference)
        delegate_id = self._delegate_id(access, delegate_id)
        self._rate_limit(request, access)
        return self._run(
            access,
            lambda: services.booking_remove_delegate(
                booking=access.booking, delegate_id=delegate_id, actor=access.actor, by_staff=access.by_staff
            ),
        )

    @extend_schema(
        summary="Substitute a delegate",
        description="Another person takes the delegate's place (and keeps the delegate's id); not once "
        "attendance is marked for them (400)." + CHANGE + ACCESS,
        parameters=[REFERENCE, DELEGATE_ID],
        request=DelegateSerializer,
        responses=DELEGATE_CHANGE_RESPONSES,
    )
    @action(detail=True, methods=["post"], url_path=r"delegates/(?P<delegate_id>[0-9]+)/substitute")
    def substitute(self, request, reference, delegate_id):
        access = self._may_change(request, reference)
        delegate_id = self._delegate_id(access, delegate_id)
        data = self._valid(DelegateSerializer, request)
        self._rate_limit(request, access)
        return self._run(
            access,
            lambda: services.booking_substitute_delegate(
                booking=access.booking,
                delegate_id=delegate_id,
                replacement=services.DelegateData(**data),
                actor=access.actor,
                by_staff=access.by_staff,
            ),
            errors=_substitute_errors,
        )

    # -----------------------------------------------------------------------------------------

    def _may_change(self, request, reference):
        access = booking_access(request, reference)
        if not access.may_change:
            raise PermissionDenied("You may read bookings but not change them.")
        return access

    @staticmethod
    def _valid(serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def _delegate_id(access, delegate_id):
        if not access.booking.delegates.filter(pk=int(delegate_id)).exists():
            raise NotFound("There is no delegate with this id on this booking.")
        return int(delegate_id)

    @staticmethod
    def _not_in_house(access, message):
        # As on the manage page: the booker's in-house register is changed by registration and by phone.
        if access.booker and access.booking.session.is_in_house:
            raise _Conflict("in_house", message.format(phone=settings.PROVIDER["phone"]))

    @staticmethod
    def _rate_limit(request, access):
        """Delegate changes email people the booker names: as on the manage page, at most
        BOOKING_CHANGES_PER_HOUR per booking and per client address; for a partner key, per
        booking and, instead of the address (its server's, shared by all its bookings), the key's
        bookings_per_hour."""
        if not access.booker:
            return
        limit = settings.BOOKING_CHANGES_PER_HOUR
        try:
            spam.check_rate_limit(f"booking-{access.booking.reference}", scope="booking-changes", limit=limit)
            if access.partner_key is not None:
                key = access.partner_key
                spam.check_rate_limit("key", scope=f"partner:{key.pk}:changes", limit=key.bookings_per_hour)
            else:
                spam.check_rate_limit(spam.client_address(request), scope="booking-changes", limit=limit)
        except spam.Rejected as exc:
            raise _RateLimited(exc) from None

    @staticmethod
    def _run(access, change, *, errors=service_errors):
        try:
            with transaction.atomic():
                booking = change()
        except DjangoValidationError as exc:
            raise ValidationError(errors(exc)) from exc
        except services.BookingError as exc:
            raise _Conflict(exc.code, exc.message, **exc.extra) from exc
        return Response(booking_body(booking))

    def handle_exception(self, exc):
        if isinstance(exc, _Conflict):
            return Response(exc.body, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, _RateLimited):
            return Response(
                {"code": exc.rejected.code, "detail": "This booking has had many changes in the last hour."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.rejected.retry_after)},
            )
        return super().handle_exception(exc)


class _Conflict(Exception):
    def __init__(self, code, detail, **extra):
        super().__init__(detail)
        self.body = {"code": code, "detail": detail, **extra}


class _RateLimited(Exception):
    def __init__(self, rejected):
        super().__init__(str(rejected))
        self.rejected = rejected


def _substitute_errors(exc):
    """The substitute's body is one delegate: the service's errors for delegates[0] (and for the
    list's emails) belong to its fields."""
    errors = {}
    for field, messages in getattr(exc, "message_dict", {NON_FIELD: exc.messages}).items():
        name = field.removeprefix("delegates[0].")
        name = {"delegates": "email", "delegate": NON_FIELD, "__all__": NON_FIELD}.get(name, name)
        errors.setdefault(name, []).extend(messages)
    return errors
