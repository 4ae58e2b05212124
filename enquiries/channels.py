"""Lead sources as one word a sales team reads: "google" whether it came from utm_source=Google or
a referrer of https://www.google.co.uk/, and never our own site.

`channel_for(utm_source, referrer, origin)` is what every lead and sign-up stores in `channel`,
so reports group in the database. `is_own_host` is also what enquiries/attribution.py uses to
tell an external referrer from a click within the site."""

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings

DIRECT = "direct"

# Site names (the name part of a host, see site_name) and UTM spellings that are one channel.
KNOWN = {
    "google": ["google", "googleads", "adwords", "gclid", "googlemail", "googleadservices", "googlesyndication"],
    "bing": ["bing", "msn"],
    "yahoo": ["yahoo"],
    "duckduckgo": ["duckduckgo"],
    "ecosia": ["ecosia"],
    "linkedin": ["linkedin", "lnkd"],
    "facebook": ["facebook", "meta"],
    "instagram": ["instagram"],
    "x": ["x", "twitter"],
    "youtube": ["youtube"],
    "newsletter": ["newsletter", "mailchimp", "email"],
}
ALIASES = {alias: channel for channel, aliases in KNOWN.items() for alias in aliases}

# Abbreviations people type in utm_source. Too short to trust as a host's name: t.me is Telegram,
# ig.com a broker.
UTM_ABBREVIATIONS = {
    "t": "x",
    "tw": "x",
    "li": "linkedin",
    "fb": "facebook",
    "ig": "instagram",
    "yt": "youtube",
    "ddg": "duckduckgo",
}

# Link shorteners and short domains, by their whole host name.
SHORT_HOSTS = {
    "t.co": "x",
    "lnkd.in": "linkedin",
    "fb.me": "facebook",
    "fb.com": "facebook",
    "m.me": "facebook",
    "youtu.be": "youtube",
    "g.co": "google",
    "goo.gl": "google",
}

# Second-level labels under which the organisation's name is the third label from the end
# (nhs.uk, co.uk, org.uk ...).
SECOND_LEVEL = {"co", "org", "ac", "gov", "nhs", "ltd", "plc", "me", "net", "sch", "police", "mod", "com"}


def own_hosts():
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in ("*", ""))
    return {host.lower() for host in hosts if host}


def is_own_host(host, *also):
    """Whether `host` is this site (SITE_URL, ALLOWED_HOSTS, a subdomain of one, or any of
    `also`, such as the host a request was made to)."""
    host = host.lower().rstrip(".")
    own = own_hosts() | {name.lower() for name in also if name}
    return host in own or any(host.endswith("." + mine) for mine in own)


def _is_address(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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


def host_channel(host):
    """The channel of a host name that is not ours: a known site's channel, else the host
    without www."""
    host = host.lower().rstrip(".").removeprefix("www.")
    if host in SHORT_HOSTS:
        return SHORT_HOSTS[host]
    return ALIASES.get(site_name(host), host.removeprefix("m."))


def normalise(word):
    """A utm_source as a channel: "LinkedIn", "li" and "linkedin.com" are all "linkedin"."""
    word = word.strip().lower()
    if "." in word and " " not in word:
        # Someone put a site's address in utm_source.
        host = urlsplit(word if "//" in word else "//" + word).hostname or word
        return "" if is_own_host(host) else host_channel(host)
    squashed = re.sub(r"[\s_-]+", "", word)  # "Google Ads", "linked-in"
    return ALIASES.get(squashed) or UTM_ABBREVIATIONS.get(squashed) or word


def referrer_channel(referrer):
    """The channel of a referring URL, or "" when there is none or it is our own site."""
    try:
        parts = urlsplit((referrer or "").strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed address, such as an unclosed "[" of an IPv6 literal
        return ""
    if not host:
        return ""
    if parts.scheme == "android-app":
        # Android apps refer as android-app://com.linkedin.android/: the name is the second label.
        labels = host.split(".")
        name = labels[1] if len(labels) > 1 else labels[0]
        return ALIASES.get(name, name)
    if is_own_host(host):
        return ""
    if host == "localhost" or host.endswith(".localhost") or _is_address(host):
        # A bare address is a test or an internal tool, not a marketing channel.
        return ""
    return host_channel(host)


def channel_for(utm_source="", referrer="", origin=""):
    """One lowercase word for where a lead came from: a hand-added lead's origin (phone, event,
    referral), else the UTM source, else the external referrer's site, else "direct"."""
    if origin and origin not in ("website", "api"):
        return origin
    channel = normalise(utm_source or "") if (utm_source or "").strip() else ""
    return (channel or referrer_channel(referrer))[:100] or DIRECT
