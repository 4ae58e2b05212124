from celery import shared_task

from . import services


@shared_task
def release_expired_po_holds():
    """Periodic (beat): free the seats of "PO to follow" bookings past their deadline."""
    return services.po_holds_release_expired()
