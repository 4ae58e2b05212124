from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Bookings"

    def ready(self):
        from . import emails  # noqa: F401  (registers the booking email kinds)
