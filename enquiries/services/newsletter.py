"""Newsletter sign-ups: double opt-in, confirmation and one-click unsubscribe."""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import notifications
from ..models import (
    NewsletterSubscriber,
    SubscriberStatus,
)
from .common import _tracking


@dataclass
class SubscribeResult:
    subscriber: NewsletterSubscriber
    email_sent: bool


@transaction.atomic
def newsletter_subscribe(*, email, name="", sector=None, tracking=None, now=None):
    """Start double opt-in. Signing up again changes nothing (a pending sign-up gets its
    confirmation email again at most once a day; a confirmed one nothing)."""
    now = now or timezone.now()
    email = email.strip()
    subscriber = NewsletterSubscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is None:
        subscriber = NewsletterSubscriber(
            email=email,
            name=name.strip(),
            sector=sector,
            consent_at=now,
            privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
            created_at=now,
            **_tracking(tracking or {}),
        )
        subscriber.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                subscriber.save()
        except IntegrityError:
            # The same address signed up at the same moment: that sign-up stands.
            return SubscribeResult(NewsletterSubscriber.objects.get(email__iexact=email), email_sent=False)
    elif subscriber.status == SubscriberStatus.CONFIRMED:
        return SubscribeResult(subscriber, email_sent=False)
    elif subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        # Signing up again after leaving: a fresh double opt-in.
        subscriber.status = SubscriberStatus.PENDING
        subscriber.consent_at = now
        subscriber.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
        subscriber.save()
    sent = notifications.newsletter_confirmation(subscriber, now=now)
    return SubscribeResult(subscriber, email_sent=sent)


@transaction.atomic
def newsletter_confirm(*, subscriber, now=None):
    subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now or timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save()
        notifications.newsletter_welcome(subscriber)
    return subscriber


@transaction.atomic
def newsletter_unsubscribe(*, subscriber, now=None):
    subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now or timezone.now()
        subscriber.save()
    return subscriber
