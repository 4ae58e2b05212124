"""The booking API's serializers: sessions as listed, a booking as sent and as answered, and the
error bodies for the schema."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import VISIBLE_TEXT, LocalDateTimeField, StrictSerializer, TrueField

from ..links import manage_url
from ..models import (
    ADJUSTMENTS_MAX,
    INVOICE_ADDRESS_MAX,
    BookingStatus,
    CourseSession,
    OrganisationType,
    SessionStatus,
    ods_code_validator,
    purchase_order_validator,
    validate_uk_phone,
)

CURRENCY = "GBP"
MAX_DELEGATES = 100

# ---------------------------------------------------------------------------------------------
# Sessions


class SessionCourseSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)


class SessionVenueSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    town = serializers.CharField(read_only=True, help_text="Empty for an online venue.")
    postcode = serializers.CharField(read_only=True, help_text="Empty for an online venue.")
    online = serializers.BooleanField(source="is_online", read_only=True)


class SessionDaySerializer(serializers.Serializer):
    starts_at = LocalDateTimeField(read_only=True)
    ends_at = LocalDateTimeField(read_only=True)


class SessionSerializer(serializers.Serializer):
    """A session as the selectors annotate it: seat counts come with the row, not per row."""

    id = serializers.IntegerField(read_only=True)
    course = SessionCourseSerializer(read_only=True)
    starts_at = LocalDateTimeField(read_only=True, help_text="Start of the first day, UK time with its offset.")
    ends_at = LocalDateTimeField(read_only=True, help_text="End of the last day, UK time with its offset.")
    days = SessionDaySerializer(many=True, read_only=True, help_text="One entry per dated day of the course.")
    venue = SessionVenueSerializer(read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    seats_remaining = serializers.IntegerField(
        read_only=True, help_text="Capacity less the delegates on confirmed and awaiting-PO bookings; never negative."
    )
    waiting_list_count = serializers.IntegerField(read_only=True, help_text="Delegates on waitlisted bookings.")
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, read_only=True, help_text="Per delegate, excluding VAT."
    )
    currency = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    booking_closes_at = LocalDateTimeField(read_only=True)
    bookable = serializers.BooleanField(
        read_only=True,
        help_text="Takes bookings now: scheduled, not started and booking still open. A fully booked session "
        "stays bookable onto its waiting list (see seats_remaining).",
    )

    def get_currency(self, session) -> str:
        return CURRENCY


# ---------------------------------------------------------------------------------------------
# Bookings


class DelegateSerializer(StrictSerializer):
    id = serializers.IntegerField(
        read_only=True, help_text="To address this delegate: /api/v1/bookings/{reference}/delegates/{id}/."
    )
    name = serializers.CharField(max_length=150, validators=[VISIBLE_TEXT])
    email = serializers.EmailField(max_length=254, help_text="Once per session: each delegate needs their own.")
    job_role = serializers.CharField(max_length=150, allow_blank=True, default="")
    adjustments = serializers.CharField(
        max_length=ADJUSTMENTS_MAX, allow_blank=True, default="", help_text="Access needs or reasonable adjustments."
    )


class WholeNumberPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id must be a JSON whole number: 1.5, "1.5" or "12" is refused rather than read as 1 or 12."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "string",
        "format": "uk-phone",
        "minLength": 1,
        "maxLength": 40,
        "description": "A UK phone number: national (01473 555 012, 07911 123456) or +44 (+44 20 7946 0000).",
    }
)
class UKPhoneField(PhoneNumberField):
    """A valid UK number, checked here as the booking itself checks it (validate_uk_phone)."""

    def __init__(self, **kwargs):
        super().__init__(region="GB", max_length=40, **kwargs)

    def to_internal_value(self, data):
        number = super().to_internal_value(data)
        try:
            validate_uk_phone(number)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages) from None
        return number


def unique_delegate_emails(delegates):
    """Each email once in the list; errors by delegate index, as DRF's list serializer gives them."""
    first_seen = {}
    errors = {}
    for index, delegate in enumerate(delegates):
        email = delegate["email"].strip().lower()
        if email in first_seen:
            errors[index] = {"email": [f"Delegate {first_seen[email] + 1} has this email address already."]}
        else:
            first_seen[email] = index
    if errors:
        raise ValidationError(errors)
    return delegates


class BookingCreateSerializer(StrictSerializer):
    session = WholeNumberPrimaryKeyField(
        queryset=CourseSession.objects.filter(course__is_published=True, is_in_house=False),
        help_text="The session id, from /api/v1/sessions/.",
        error_messages={
            "does_not_exist": "There is no session with id {pk_value}.",
            "incorrect_type": "Give the session's id as a whole number, for example 12.",
        },
    )
    organisation = serializers.CharField(max_length=200, validators=[VISIBLE_TEXT])
    organisation_type = serializers.ChoiceField(choices=OrganisationType.choices)
    ods_code = serializers.CharField(
        max_length=9,
        allow_blank=True,
        default="",
        validators=[ods_code_validator],
        help_text="NHS ODS code, 3 to 9 letters and digits, for example RGT or RGT01 (kept upper case).",
    )
    contact_name = serializers.CharField(max_length=150, validators=[VISIBLE_TEXT], help_text="The booker's name.")
    contact_email = serializers.EmailField(max_length=254)
    contact_phone = UKPhoneField()
    job_title = serializers.CharField(max_length=150, allow_blank=True, default="")
    invoice_address = serializers.CharField(max_length=INVOICE_ADDRESS_MAX, validators=[VISIBLE_TEXT])
    purchase_order = serializers.CharField(
        max_length=50,
        allow_blank=True,
        default="",
        validators=[purchase_order_validator],
        help_text="The purchase order number. Give this or po_to_follow, not both.",
    )
    po_to_follow = serializers.BooleanField(
        default=False,
        help_text="The PO will follow: seats are held as awaiting_po until po_deadline.",
    )
    delegates = DelegateSerializer(many=True, allow_empty=False, max_length=MAX_DELEGATES)
    join_waitlist = serializers.BooleanField(
        default=False, help_text="With too few seats, join the waiting list instead of getting a 409."
    )
    accept_terms = TrueField(message="Accept the booking terms to continue", help_text="Must be true.")

    def validate_ods_code(self, value):
        return value.upper()

    def validate_delegates(self, value):
        return unique_delegate_emails(value)


# For the schema only: a booking has a purchase order or says it will follow, never both and
# never neither (the service refuses both). Two shapes say so where one object could not.


@extend_schema_field({"type": "boolean", "enum": [False]})
class _FalseField(serializers.BooleanField):
    pass


class BookingWithPurchaseOrderSerializer(BookingCreateSerializer):
    purchase_order = serializers.CharField(
        max_length=50, validators=[purchase_order_validator], help_text="The purchase order number."
    )
    po_to_follow = _FalseField(default=False, help_text="false, or left out, with a purchase order.")


class BookingPoToFollowSerializer(BookingCreateSerializer):
    purchase_order = serializers.CharField(
        max_length=0, allow_blank=True, default="", help_text="Empty, or left out, when the PO will follow."
    )
    po_to_follow = TrueField(
        message="", help_text="The PO will follow: seats are held as awaiting_po until po_deadline."
    )


BOOKING_CREATE_REQUEST = PolymorphicProxySerializer(
    component_name="BookingCreate",
    serializers=[BookingWithPurchaseOrderSerializer, BookingPoToFollowSerializer],
    resource_type_field_name=None,
)


class BookingSerializer(serializers.Serializer):
    reference = serializers.CharField(
        read_only=True, help_text="Eight characters without 0/O or 1/I/L, easy to read over the phone."
    )
    status = serializers.ChoiceField(
        read_only=True,
        choices=[
            (BookingStatus.UNCONFIRMED, "Seats held until confirm_by, while the booker confirms their email"),
            (BookingStatus.CONFIRMED, "Confirmed"),
            (BookingStatus.AWAITING_PO, "Seats held until po_deadline, awaiting the purchase order"),
            (BookingStatus.WAITLISTED, "On the waiting list, holding no seats"),
            (BookingStatus.CANCELLED, "Cancelled: by the booker or the office, or lapsed unconfirmed or unpaid"),
        ],
    )
    confirm_by = LocalDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="While the booker's email address is unconfirmed: when the booking lapses. Otherwise null.",
    )
    session = SessionSerializer(read_only=True)
    delegates = DelegateSerializer(many=True, read_only=True)
    total_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, source="totals.net", read_only=True, help_text="All delegates, excluding VAT."
    )
    total_vat = serializers.DecimalField(max_digits=10, decimal_places=2, source="totals.vat", read_only=True)
    total_including_vat = serializers.DecimalField(
        max_digits=10, decimal_places=2, source="totals.gross", read_only=True
    )
    currency = serializers.SerializerMethodField()
    po_deadline = LocalDateTimeField(
        read_only=True,
        allow_null=True,
        help_text="For awaiting_po: add the PO through manage_url by then or the seats are released. Otherwise null.",
    )
    manage_url = serializers.SerializerMethodField(
        help_text="The booker's private link to see and change the booking; works until the session ends. "
        "Null while the booker's email address is unconfirmed: it is then emailed to them. Null also for "
        "staff who may only read bookings."
    )

    def get_currency(self, booking) -> str:
        return CURRENCY

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_manage_url(self, booking):
        # The link that changes the booking goes only to a confirmed address, by email; and never
        # to someone who may read the booking but not act as the booker (context manage_url=False).
        if booking.awaits_email_confirmation or not self.context.get("manage_url", True):
            return None
        return manage_url(booking)

    def to_representation(self, booking):
        data = super().to_representation(booking)
        if not booking.awaits_email_confirmation:
            data["confirm_by"] = None
        return data


# Error bodies of the booking endpoints, for the schema.


class BookingConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            ("insufficient_seats", "Too few seats left; see seats_remaining, or send join_waitlist"),
            ("session_closed", "Booking for the session has closed"),
            ("session_cancelled", "The session is cancelled"),
            ("session_past", "The session has started or taken place"),
            ("too_many_unconfirmed", "This booker or organisation already holds the most seats allowed unconfirmed"),
            ("idempotency_request_in_progress", "A request with this Idempotency-Key is still running"),
        ]
    )
    detail = serializers.CharField()
    seats_remaining = serializers.IntegerField(required=False, help_text="With insufficient_seats only.")


class IdempotencyKeyReusedSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("idempotency_key_reused", "The key was used for a different request")])
    detail = serializers.CharField()


# Changes to a booking after it is made.


class PurchaseOrderSerializer(StrictSerializer):
    purchase_order = serializers.CharField(
        max_length=50,
        validators=[purchase_order_validator],
        help_text="The purchase order number. An awaiting_po booking becomes confirmed.",
    )


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="", help_text="Optional.")


class DelegatesAddSerializer(StrictSerializer):
    delegates = DelegateSerializer(many=True, allow_empty=False, max_length=MAX_DELEGATES)

    def validate_delegates(self, value):
        return unique_delegate_emails(value)


class BookingChangeConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            ("booking_cancelled", "The booking is cancelled"),
            ("email_not_confirmed", "The booker has not yet confirmed their email address"),
            ("session_closed", "Booking for the session has closed: changes by phone only"),
            ("session_cancelled", "The session is cancelled"),
            ("session_past", "The session has started or taken place"),
            ("insufficient_seats", "Too few seats left for the delegates added; see seats_remaining"),
            ("last_delegate", "A booking keeps at least one delegate: cancel it instead"),
            (
                "in_house",
                "An in-house course: people join it from its registration link, and it is cancelled by "
                "arrangement with the office",
            ),
        ]
    )
    detail = serializers.CharField()
    seats_remaining = serializers.IntegerField(required=False, help_text="With insufficient_seats only.")
