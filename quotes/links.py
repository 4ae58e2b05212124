"""The client's link to a quote: signed, one per version, revoked by a new signing key on the row.

It shows the version as sent and, while it can be accepted, the acceptance form. A superseded or
expired version still opens (to say so); a draft never does.
"""

import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from .models import Quote, QuoteStatus

SALT = "quotes.view"


def quote_token(quote):
    return signing.Signer(salt=SALT).sign(f"{quote.pk}.{quote.signing_key}")


def quote_url(quote):
    """The absolute URL of the quote's page (URL name quotes:view, argument the token)."""
    return settings.SITE_URL + reverse("quotes:view", args=[quote_token(quote)])


def quote_from_token(token, queryset=None):
    """The sent quote a token names, or None. Reveals nothing about why not."""
    try:
        pk, _, key = signing.Signer(salt=SALT).unsign(token).partition(".")
    except signing.BadSignature:
        return None
    if not pk.isdigit() or not key:
        return None
    queryset = queryset if queryset is not None else Quote.objects.all()
    quote = queryset.exclude(status=QuoteStatus.DRAFT).filter(pk=int(pk)).first()
    if quote is None or not constant_time_compare(key, quote.signing_key):
        return None
    return quote


# A quote link in the text of an email: /quotes/<pk>.<key>:<signature>/
_TOKEN_IN_URL = re.compile(r"(/quotes/)(\d+\.[\w-]+:[\w-]+)(/)")


def mask_tokens(text):
    """The text with every quote link's token hidden, for staff reading sent emails: the link
    accepts the quote, which is the client's to do."""
    return _TOKEN_IN_URL.sub(r"\1[private link hidden]\3", text or "")
