import os
from pathlib import Path

import pytest
from django.core.management import call_command

SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "test-results" / "screenshots")
)

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_catalogue(transactional_db):
    call_command("load_demo", "--no-user", "--no-sessions", verbosity=0)


@pytest.fixture
def site(live_server, demo_catalogue):
    return live_server.url


@pytest.fixture
def session(demo_catalogue):
    """De-escalation Skills in Ipswich in 40 days, 4 seats."""
    from courses.models import Course
    from tests.factories import VenueFactory, make_session

    course = Course.objects.get(slug="de-escalation-skills")
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    return make_session(course=course, venue=venue, capacity=4, starts_in_days=40)


def fill_delegate(page, number, name, email, role):
    row = page.locator("[data-delegate-row]").nth(number - 1)
    row.get_by_label("Full name").fill(name)
    row.get_by_label("Email").fill(email)
    row.get_by_label("Job role").fill(role)


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page):
    """WCAG 2.x A and AA violations found by axe-core in the page as shown."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


def confirm_from_email(page, live_server, booking):
    """What the booker does next: open the link in the confirm-your-email email and press its
    button. Lands on the booking's confirmation page."""
    from django.urls import reverse

    from booking import links

    page.goto(live_server.url + reverse("booking:confirm_email", args=[links.confirm_token(booking)]))
    page.get_by_role("button", name="Confirm my booking").click()
