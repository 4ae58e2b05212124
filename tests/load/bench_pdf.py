#!/usr/bin/env python
"""Benchmark: how long WeasyPrint takes to draw an invoice and a quote, as the worker does when it
sends the email (the first time) and as a booker's download does.

    .venv/bin/python tests/load/bench_pdf.py [--runs 20]

On a throw-away SQLite database in a temporary folder: a course, a session, a booking with a
PO (so its invoice is issued through the real hook) and a sent quote. It draws each document
--runs times (the kept copy is bypassed) and prints the first draw (WeasyPrint and its fonts
loading, unless the quote's email already drew it), then the median and the 95th percentile of the rest, and the PDF's size.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_django(folder):
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
        DEBUG="true",
        EMAIL_URL="memorymail://",  # the quote's email is sent in-process: keep it off the screen
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def documents():
    from django.contrib.auth import get_user_model

    from booking import notifications
    from enquiries.services import lead_add
    from quotes import services as quotes
    from quotes.models import LineKind
    from tests.factories import CourseFactory, VenueFactory, make_booking, make_session

    course = CourseFactory(title="De-escalation Skills", price="150.00")
    session = make_session(course=course, venue=VenueFactory(town="Ipswich", postcode="IP3 9SJ"), capacity=12)
    with notifications.suppressed():
        booking = make_booking(session, count=6, purchase_order="NHS-PO-447120")
    invoice = booking.invoices.get()
    user = get_user_model().objects.create_user("bench", is_staff=True)
    lead = lead_add(
        lead_type="enquiry",
        origin="phone",
        data={"name": "Jordan Ellis", "organisation": "East Suffolk NHS Trust", "email": "jordan@example.org"},
        courses=[course],
        actor=user,
    )
    quote = quotes.quote_create(
        lead=lead,
        user=user,
        site_name="Ipswich Hospital",
        site_address="Heath Road",
        site_town="Ipswich",
        site_postcode="IP4 5PD",
        lines=[
            {"kind": LineKind.COURSE_DAYS, "description": "3 days at your site", "quantity": 3, "unit_price": 950},
            {"kind": LineKind.TRAVEL, "description": "Trainer's travel", "quantity": 1, "unit_price": 180},
        ],
        dates_to_be_agreed=True,
    )
    quote = quotes.quote_send(quote=quote, user=user)
    return invoice, quote


def time_draws(draw, runs):
    times, size = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        size = len(draw())
        times.append(time.perf_counter() - began)
    return times, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from core.pdf import render_pdf
        from invoicing.pdf import render as invoice_pdf
        from quotes.documents import quote_context

        invoice, quote = documents()
        print(f"{'document':<10} {'first (s)':>10} {'median (s)':>11} {'p95 (s)':>8} {'size (KB)':>10}")
        for name, draw in [
            ("invoice", lambda: invoice_pdf(invoice)),
            ("quote", lambda: render_pdf("pdf/quote.html", quote_context(quote))),
        ]:
            times, size = time_draws(draw, args.runs)
            rest = sorted(times[1:]) or times
            p95 = rest[min(len(rest) - 1, int(len(rest) * 0.95))]
            print(f"{name:<10} {times[0]:>10.3f} {statistics.median(rest):>11.3f} {p95:>8.3f} {size / 1024:>10.1f}")


if __name__ == "__main__":
    main()
