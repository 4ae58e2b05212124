"""The office's admin for venues, sessions and bookings.

Seats and statuses only ever change through booking/services.py: capacity, cancellations,
promotions and purchase orders here call the same services as the public site and the API, so
the admin cannot oversell a session or skip a booking's history. Fields the services own are
read-only.
"""

from .bookings import BookingAdmin
from .common import model_fields_changed
from .sessions import CourseSessionAdmin
from .venues import VenueAdmin

__all__ = ["BookingAdmin", "CourseSessionAdmin", "VenueAdmin", "model_fields_changed"]
