"""Load the demo data and make sure a demo staff login exists. Safe to run again."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from courses.demo import load_catalogue

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Load the demo catalogue (idempotent) and create a demo staff user."

    def add_arguments(self, parser):
        parser.add_argument("--no-user", action="store_true", help="Do not create the demo staff user.")

    def handle(self, *args, no_user=False, **options):
        created = load_catalogue()
        self.stdout.write(
            "Demo catalogue: {sectors} sectors, {courses} courses, {testimonials} testimonials added.".format(**created)
        )
        if no_user:
            return
        password = os.environ.get("DEMO_PASSWORD", "demo-staff-password")
        user, was_created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"email": "demo.staff@example.com", "first_name": "Demo", "last_name": "Staff"},
        )
        if was_created:
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
        if user.check_password(password):
            login = f"username {DEMO_USERNAME}, password {password}"
        else:
            login = f"username {DEMO_USERNAME} (its password has been changed since it was created)"
        self.stdout.write(self.style.SUCCESS(f"Demo staff login at {settings.SITE_URL}/admin/: {login}"))
