"""Every write about invoices and credit notes. The booking hook, the admin and the tests all
call these functions, so each rule lives here once.

documents.py issues invoices and credit notes and records payments; numbering.py gives their
gap-free numbers; booking_events.py decides what each booking change means for the invoices.
"""

from .booking_events import invoicing_on_booking_event
from .documents import (
    booking_lines,
    clean_lines,
    credit_note_issue,
    credited,
    invoice_issue,
    invoice_mark_paid,
    invoice_mark_unpaid,
    remaining,
)
from .numbering import next_number

__all__ = [
    "booking_lines",
    "clean_lines",
    "credit_note_issue",
    "credited",
    "invoice_issue",
    "invoice_mark_paid",
    "invoice_mark_unpaid",
    "invoicing_on_booking_event",
    "next_number",
    "remaining",
]
