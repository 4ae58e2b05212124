"""Every write on quotes. The admin, the public acceptance page and the demo all call these.

A quote is drafted from a lead (drafting.py: quote_create, quote_update, lines and proposed
dates, quote_new_version), sent (sending.py: quote_send numbers it, emails the PDF and the signed
link, supersedes the version before and moves the lead to "proposal sent"), and accepted on the
signed link (acceptance.py: quote_accept records who, when and which version, moves the lead to
won, tells its owner and schedules the in-house session; quote_schedule for a quote accepted with
dates to be agreed).
"""

from .acceptance import quote_accept, quote_schedule
from .drafting import (
    quote_create,
    quote_date_add,
    quote_date_remove,
    quote_date_update,
    quote_line_add,
    quote_line_remove,
    quote_line_update,
    quote_new_version,
    quote_update,
)
from .sending import quote_send, quote_send_problems

__all__ = [
    "quote_accept",
    "quote_create",
    "quote_date_add",
    "quote_date_remove",
    "quote_date_update",
    "quote_line_add",
    "quote_line_remove",
    "quote_line_update",
    "quote_new_version",
    "quote_schedule",
    "quote_send",
    "quote_send_problems",
    "quote_update",
]
