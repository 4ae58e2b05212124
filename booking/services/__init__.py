"""Every write that changes seats or a booking. The web forms, the API, the admin and the tasks
all call these functions, so each rule lives here once.

Seats are never trusted from a stored counter: each change locks the session row and counts
the delegates on seat-holding bookings inside the same transaction, so simultaneous requests on
PostgreSQL queue up behind one another instead of overselling.

One module a job: seats.py (what every rule shares), sessions.py, bookings.py, changes.py
(delegates), confirmation.py (seats must be earned), waitlist.py (promotion and lapsed holds),
in_house.py (a course at the client's site, its host booking and self-registration).
"""

from .bookings import booking_add_po, booking_cancel, booking_create, booking_new_manage_link
from .changes import booking_add_delegates, booking_remove_delegate, booking_substitute_delegate
from .confirmation import booking_confirm_email, unconfirmed_bookings_release
from .in_house import (
    CourseFull,
    RegistrationClosed,
    host_booking,
    in_house_register,
    in_house_registration_link_renew,
    in_house_session_create,
)
from .seats import (
    BookingError,
    BookingNotChangeable,
    DelegateData,
    InsufficientSeats,
    SessionNotBookable,
    UnconfirmedLimit,
    seats_remaining,
    seats_taken,
)
from .sessions import (
    session_cancel,
    session_change_capacity,
    session_create,
    session_schedule,
    session_schedule_changed,
    session_sync_span,
)
from .waitlist import po_holds_release_expired, waitlist_promote

__all__ = [
    "BookingError",
    "BookingNotChangeable",
    "CourseFull",
    "DelegateData",
    "InsufficientSeats",
    "RegistrationClosed",
    "SessionNotBookable",
    "UnconfirmedLimit",
    "booking_add_delegates",
    "booking_add_po",
    "booking_cancel",
    "booking_confirm_email",
    "booking_create",
    "booking_new_manage_link",
    "booking_remove_delegate",
    "booking_substitute_delegate",
    "host_booking",
    "in_house_register",
    "in_house_registration_link_renew",
    "in_house_session_create",
    "po_holds_release_expired",
    "seats_remaining",
    "seats_taken",
    "session_cancel",
    "session_change_capacity",
    "session_create",
    "session_schedule",
    "session_schedule_changed",
    "session_sync_span",
    "unconfirmed_bookings_release",
    "waitlist_promote",
]
