"""Apply the personal-data retention rules now: anonymise leads closed longer ago than
LEAD_RETENTION_MONTHS and drop newsletter sign-ups left unconfirmed for NEWSLETTER_UNCONFIRMED_DAYS.

The nightly beat task (enquiries.tasks.apply_retention) does the same; this is for running it by
hand, or seeing first what it would do with --dry-run. Erasing one person on request, now, is done
from a lead's page in the admin ("Erase personal data"), which anonymises the same way.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from enquiries import services


class Command(BaseCommand):
    help = (
        "Anonymise leads closed more than LEAD_RETENTION_MONTHS ago and delete newsletter sign-ups "
        "not confirmed within NEWSLETTER_UNCONFIRMED_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be anonymised or deleted; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        months, days = settings.LEAD_RETENTION_MONTHS, settings.NEWSLETTER_UNCONFIRMED_DAYS
        if dry_run:
            leads, signups = services.leads_to_anonymise(now).count(), services.signups_to_drop(now).count()
            self.stdout.write("Dry run: nothing has been changed.")
            self.stdout.write(f"Would anonymise {leads} lead(s) closed more than {months} months ago.")
            self.stdout.write(f"Would delete {signups} newsletter sign-up(s) unconfirmed after {days} days.")
            return
        leads = services.leads_anonymise_closed(now=now)
        signups = services.newsletter_drop_unconfirmed(now=now)
        self.stdout.write(self.style.SUCCESS(f"Anonymised {leads} lead(s) closed more than {months} months ago."))
        self.stdout.write(self.style.SUCCESS(f"Deleted {signups} newsletter sign-up(s) unconfirmed after {days} days."))
