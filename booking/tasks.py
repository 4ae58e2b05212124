from celery import shared_task

from . import reminders, services


@shared_task
def release_expired_po_holds():
    """Beat, every 5 minutes: free the seats of "PO to follow" bookings past their deadline."""
    return services.po_holds_release_expired()


@shared_task
def release_unconfirmed_bookings():
    """Beat, every minute: bookings whose booker did not confirm their email in time lapse."""
    return services.unconfirmed_bookings_release()


@shared_task
def send_delegate_reminders():
    """Beat, daily: remind delegates REMINDER_DAYS_BEFORE days before their course (once each)."""
    return reminders.delegate_reminders_queue()


@shared_task
def chase_purchase_orders():
    """Beat, hourly: remind bookers 3 days and 1 day before their PO deadline (once each)."""
    return reminders.po_reminders_queue()
