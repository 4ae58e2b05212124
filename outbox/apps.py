from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Email outbox"

    def ready(self):
        from . import alerts  # noqa: F401  (registers the operators' alert email)
