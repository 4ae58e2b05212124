"""The booking pages: the public booking flow (book.py), the booker's manage pages (manage.py)
and an in-house course's private registration page (in_house.py)."""

from .book import book, confirm_email, pending, review
from .in_house import register, registered
from .manage import (
    confirmed,
    link_sent,
    manage,
    manage_add_delegates,
    manage_add_po,
    manage_cancel,
    manage_new_link,
    manage_new_registration_link,
    manage_remove_delegate,
    manage_substitute,
    new_link,
)

__all__ = [
    "book",
    "confirm_email",
    "confirmed",
    "link_sent",
    "manage",
    "manage_add_delegates",
    "manage_add_po",
    "manage_cancel",
    "manage_new_link",
    "manage_new_registration_link",
    "manage_remove_delegate",
    "manage_substitute",
    "new_link",
    "pending",
    "register",
    "registered",
    "review",
]
