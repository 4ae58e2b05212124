"""Load the demo data (catalogue, then venues, sessions and bookings) and make sure a demo staff
login exists. Safe to run again."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from booking import notifications
from booking.demo import load_sessions
from courses.demo import load_catalogue
from enquiries.demo import load_leads
from enquiries.services import SALES_GROUP
from insights.demo import load_articles
from quotes.demo import load_quotes
from records.demo import load_records

DEMO_USERNAME = "demo"
DEMO_SALES_USERNAME = "sales"


class Command(BaseCommand):
    help = (
        "Load the demo catalogue, upcoming sessions and leads (idempotent) and create the demo staff and sales users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-user", action="store_true", help="Do not create the demo staff user.")
        parser.add_argument(
            "--no-sessions", action="store_true", help="Load only the catalogue: no venues, sessions or bookings."
        )

    def handle(self, *args, no_user=False, no_sessions=False, **options):
        created = load_catalogue()
        self.stdout.write(
            "Demo catalogue: {sectors} sectors, {courses} courses, {testimonials} testimonials, "
            "{programmes} programmes added.".format(**created)
        )
        self.stdout.write(f"Demo articles: {len(load_articles())} loaded.")
        if not no_sessions:
            # Dates are relative to today: a later run tops up the weeks that have come into range.
            # Demo bookings send no emails: their people are invented.
            with notifications.suppressed():
                created = load_sessions()
                history = load_records()
            self.stdout.write(
                "Demo sessions: {venues} venues, {sessions} sessions, {bookings} bookings added.".format(**created)
            )
            self.stdout.write(f"Demo training history: {history} completed courses added.")
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
        sales = self.sales_user(password)
        self.stdout.write(f"Demo leads: {load_leads(added_by=sales)} added.")
        self.stdout.write(f"Demo quotes: {load_quotes(user=sales)} added.")
        for account in (user, sales):
            if account.check_password(password):
                login = f"username {account.username}, password {password}"
            else:
                login = f"username {account.username} (its password has been changed since it was created)"
            who = "Demo staff login" if account == user else "Demo sales login (works the leads, not a superuser)"
            self.stdout.write(self.style.SUCCESS(f"{who} at {settings.SITE_URL}/admin/: {login}"))

    def sales_user(self, password):
        """A member of the Sales group (made by a migration): what the sales team sees."""
        user, was_created = get_user_model().objects.get_or_create(
            username=DEMO_SALES_USERNAME,
            defaults={"email": "demo.sales@example.com", "first_name": "Sam", "last_name": "Patel", "is_staff": True},
        )
        if was_created:
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=SALES_GROUP))
        return user
