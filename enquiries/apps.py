from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "enquiries"
    verbose_name = "Enquiries and leads"

    def ready(self):
        from . import emails  # noqa: F401  (registers the lead and newsletter email kinds)
