from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Catalogue"

    def ready(self):
        # What invalidates the response cache (core/http_cache.py), in every process: web, Celery
        # workers and management commands.
        from . import cache

        cache.connect()
