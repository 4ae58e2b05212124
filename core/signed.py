"""Reading the signed values in private links (booking, registration, records): each kind of
link signs with its own salt, so one kind never opens another kind of page."""

from django.core import signing


def unsign(token, salt):
    """The value a token signs with `salt`, or None if it was tampered with or signed otherwise."""
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        return None


def pk_and_key(value):
    """ "12.k3y" -> (12, "k3y"); (None, None) for anything else."""
    pk, _, key = (value or "").partition(".")
    if not (pk.isascii() and pk.isdigit()) or not key:
        return None, None
    return int(pk), key
