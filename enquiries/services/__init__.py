"""Every write on leads and newsletter subscribers. The web forms, the API, the admin and the
tasks all call these functions.

A lead arrives (arrival.py: enquiry_submit, callback_submit, or lead_add by hand), is checked against open leads for
duplicates, gets an owner (round robin among active sales staff) and a due time (the callback SLA
clock), and from then on every status or owner change is written to its timeline (pipeline.py); a booking by its contact wins it (bookings.py).
Newsletter sign-ups are in newsletter.py; retention in retention.py; erasure and the
subject-access export in personal_data.py; finding leads (the API's search) in search.py; what they
share in common.py.
"""

from .arrival import (
    callback_submit,
    check_callback_slot,
    enquiry_submit,
    find_duplicate,
    lead_add,
    salesperson_set_taking_leads,
)
from .bookings import (
    lead_link_booking,
    lead_link_booking_by_reference,
)
from .common import (
    SALES_GROUP,
    SALES_MANAGERS_GROUP,
    TRACKING_FIELDS,
    active_sellers,
    is_active_seller,
    person_name,
    sales_staff,
)
from .newsletter import (
    SubscribeResult,
    newsletter_confirm,
    newsletter_subscribe,
    newsletter_unsubscribe,
)
from .personal_data import (
    ErasurePlan,
    person_erase,
    person_erase_plan,
    personal_data_export,
)
from .pipeline import (
    lead_add_note,
    lead_assign,
    lead_change_status,
    lead_correct_details,
    lead_log_call,
    lead_resolve_duplicate,
    lead_set_next_action,
    lead_update,
    merge_summary,
)
from .retention import (
    ANONYMISED,
    leads_anonymise_closed,
    leads_to_anonymise,
    newsletter_drop_unconfirmed,
    signups_to_drop,
)
from .search import lead_search

__all__ = [
    "ANONYMISED",
    "ErasurePlan",
    "SALES_GROUP",
    "SALES_MANAGERS_GROUP",
    "SubscribeResult",
    "TRACKING_FIELDS",
    "active_sellers",
    "callback_submit",
    "check_callback_slot",
    "enquiry_submit",
    "find_duplicate",
    "lead_add_note",
    "lead_assign",
    "is_active_seller",
    "lead_add",
    "lead_change_status",
    "lead_correct_details",
    "lead_link_booking",
    "lead_link_booking_by_reference",
    "lead_log_call",
    "lead_resolve_duplicate",
    "lead_search",
    "lead_set_next_action",
    "lead_update",
    "merge_summary",
    "leads_anonymise_closed",
    "leads_to_anonymise",
    "newsletter_confirm",
    "newsletter_drop_unconfirmed",
    "newsletter_subscribe",
    "newsletter_unsubscribe",
    "person_erase",
    "person_erase_plan",
    "person_name",
    "personal_data_export",
    "sales_staff",
    "salesperson_set_taking_leads",
    "signups_to_drop",
]
