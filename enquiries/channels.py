"""Lead sources as one word a sales team reads: "google" whether it came from utm_source=Google or
a referrer of https://www.google.co.uk/, and never our own site.

`channel_for(utm_source, referrer, origin)` is what every lead and sign-up stores in `channel`,
so reports group in the database."""

from urllib.parse import urlsplit

from django.conf import settings

DIRECT = "direct"

# Hosts (by their last labels) and UTM spellings that are one channel.
KNOWN = {
    "google": ["google", "googleads", "adwords", "gclid", "googlemail"],
    "bing": ["bing", "msn"],
    "yahoo": ["yahoo"],
    "duckduckgo": ["duckduckgo", "ddg"],
    "ecosia": ["ecosia"],
    "linkedin": ["linkedin", "lnkd", "li"],
    "facebook": ["facebook", "fb", "meta"],
    "instagram": ["instagram", "ig"],
    "x": ["x", "twitter", "t"],
    "youtube": ["youtube", "youtu"],
    "newsletter": ["newsletter", "mailchimp", "email"],
}
ALIASES = {alias: channel for channel, aliases in KNOWN.items() for alias in aliases}

# Second-level labels under which the organisation's name is the third label from the end
# (nhs.uk, co.uk, org.uk ...).
SECOND_LEVEL = {"co", "org", "ac", "gov", "nhs", "ltd", "plc", "me", "net", "sch", "police", "mod", "com"}


def own_hosts():
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in ("*", ""))
    return {host.lower() for host in hosts if host}


def site_name(host):
    """The part of a host name that names the site: www.google.co.uk -> google,
    lnkd.in -> lnkd, mft.nhs.uk -> mft, news.bbc.co.uk -> bbc."""
    labels = [label for label in host.lower().rstrip(".").split(".") if label]
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2]


def normalise(word):
    word = word.strip().lower()
    return ALIASES.get(word, word)


def referrer_channel(referrer):
    """The channel of a referring URL, or "" when there is none or it is our own site."""
    if not referrer:
        return ""
    host = (urlsplit(referrer.strip()).hostname or "").lower()
    if not host:
        return ""
    own = own_hosts()
    if host in own or any(host.endswith("." + mine) for mine in own):
        return ""
    if host in ("localhost",) or host.replace(".", "").isdigit():
        # A bare address is a test or an internal tool, not a marketing channel.
        return ""
    name = site_name(host)
    if name in ALIASES:
        return ALIASES[name]
    return host.removeprefix("www.").removeprefix("m.")


def channel_for(utm_source="", referrer="", origin=""):
    """One lowercase word for where a lead came from: a hand-added lead's origin (phone, event,
    referral), else the UTM source, else the external referrer's site, else "direct"."""
    if origin and origin not in ("website", "api"):
        return origin
    if utm_source and utm_source.strip():
        return normalise(utm_source)[:100]
    return referrer_channel(referrer)[:100] or DIRECT
