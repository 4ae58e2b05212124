"""The hook for booking notifications.

Every booking service records a BookingEvent and passes it here, inside its transaction. The
email issue turns these into outbox rows; until then each event is only logged once the
transaction commits.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def booking_event(event):
    transaction.on_commit(
        lambda: logger.info("booking %s: %s (%s)", event.booking.reference, event.kind, event.description)
    )
