"""Who may see and change a booking through the API: `booking_access`, the one place that decides.

The booker, by the manage link's token in `Authorization: Booking <token>`; the partner whose API
key (`Authorization: Bearer <key>`) made the booking; office staff signed in (session or API token)
with booking.view_booking to read and booking.change_booking to change. No credentials, or
credentials valid for nothing, is a 401 whatever the reference; valid credentials for something
else are the same 404 as a reference that does not exist.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, NotFound

from partners.auth import partner_key_of

from .. import links, selectors
from ..models import Booking

KEYWORD = "Booking"


@dataclass(frozen=True)
class ManageToken:
    """A valid `Authorization: Booking <token>`: the booking it is for. The view checks that it is
    the booking the path names."""

    booking: Booking


class BookingTokenAuthentication(BaseAuthentication):
    """Reads `Authorization: Booking <token>`. A token that is valid for no booking (malformed,
    tampered, revoked by a newer manage link, or expired with the session) is a 401: that says
    nothing about any reference. One valid for another booking is the view's 404."""

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        try:
            token = words[1].decode("ascii") if len(words) == 2 else ""
        except UnicodeDecodeError:
            token = ""
        booking = links.booking_from_token(token, selectors.booking_queryset()) if token else None
        if booking is None:
            raise AuthenticationFailed("This booking token is not valid: it may have expired or been replaced.")
        return AnonymousUser(), ManageToken(booking)

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class BookingTokenScheme(OpenApiAuthenticationExtension):
    target_class = BookingTokenAuthentication
    name = "bookingToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Booking <token>`: the token is the last part of the booking's manage_url "
            "(…/bookings/<token>/). It works until the session ends, and stops working when a new manage "
            "link is sent.",
        }


@dataclass(frozen=True)
class Access:
    booking: Booking
    actor: str
    may_change: bool
    by_staff: bool = False
    booker: bool = False  # the booker's own rules apply (the manage page's limits)
    partner_key: object = None  # the partner key acting for the booker


NOT_FOUND = "Not found."


def booking_access(request, reference):
    """Who is asking about the booking `reference`, and what they may do; NotFound for anyone
    else, the same answer whatever the reason."""
    queryset = selectors.booking_queryset()
    if (partner_key := partner_key_of(request)) is not None:
        # The partner acts for the booker of the bookings it made, under the booker's rules.
        booking = queryset.filter(reference=reference, partner_key=partner_key).first()
        if booking is not None:
            return Access(
                booking=booking, actor=partner_key.actor, may_change=True, booker=True, partner_key=partner_key
            )
        raise NotFound(NOT_FOUND)
    if isinstance(request.auth, ManageToken):
        if request.auth.booking.reference == reference:
            return Access(booking=request.auth.booking, actor="booker (API)", may_change=True, booker=True)
        raise NotFound(NOT_FOUND)
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated()
    if user.is_authenticated and (user.has_perm("booking.view_booking") or user.has_perm("booking.change_booking")):
        booking = queryset.filter(reference=reference).first()
        if booking is not None:
            may_change = user.has_perm("booking.change_booking")
            return Access(
                booking=booking,
                actor=f"staff:{user.get_username()} (API)",
                may_change=may_change,
                by_staff=may_change,
            )
    raise NotFound(NOT_FOUND)
