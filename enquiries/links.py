"""Signed links for newsletter double opt-in and one-click unsubscribe."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import NewsletterSubscriber

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
CONFIRM_MAX_AGE = 60 * 60 * 24 * 30  # the sign-up is dropped after 30 days unconfirmed anyway


def confirm_url(subscriber):
    token = signing.dumps(subscriber.pk, salt=CONFIRM_SALT)
    return settings.SITE_URL + reverse("enquiries:newsletter_confirm", args=[token])


def unsubscribe_url(subscriber):
    # No expiry: an unsubscribe link in an old email must still work.
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber.pk))
    return settings.SITE_URL + reverse("enquiries:newsletter_unsubscribe", args=[token])


def subscriber_from_confirm_token(token):
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    return NewsletterSubscriber.objects.filter(pk=pk).first()


def subscriber_from_unsubscribe_token(token):
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return NewsletterSubscriber.objects.filter(pk=pk).first()
