"""The training record in a real browser: axe-clean, no sideways scroll on a phone or a desktop,
the CSV downloads, and "Book refresher" opens a booking form with the person filled in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from booking.services import DelegateData
from records.links import training_record_token
from tests.e2e.conftest import axe_violations, screenshot
from tests.factories import CourseFactory, make_session
from tests.insights.test_browser import assert_no_sideways_scroll
from tests.records.training_helpers import trained

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [{"width": 390, "height": 844}, {"width": 1280, "height": 900}, {"width": 360, "height": 740}]


@pytest.fixture
def record(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url  # the links the page builds point at this server
    today = timezone.localdate()
    course = CourseFactory(title="Conflict Resolution and Personal Safety", certificate_validity_months=12)
    refresher = CourseFactory(title="Conflict Resolution Refresher", certificate_validity_months=12)
    course.refresher_course = refresher
    course.save()
    session = make_session(course=refresher, starts_in_days=21)
    organisation = {"organisation": "East Suffolk and North Essex NHS Foundation Trust", "ods_code": "RDE"}

    def people(*names, role="Staff nurse"):
        return [
            DelegateData(name=name, email=f"{name.split()[0].lower()}@esneft.example", job_role=role) for name in names
        ]

    long_role = "Senior Healthcare Assistant, Emergency Department (night shifts)"
    mine, _ = trained(
        course,
        expires_on=today + timedelta(days=30),
        delegates=[*people("Alexandra Montgomery-Fitzwilliam", role=long_role), *people("Ben Okafor")],
        **organisation,
    )
    trained(course, expires_on=today - timedelta(days=12), delegates=people("Chloe Hart"), **organisation)
    trained(course, expires_on=today + timedelta(days=250), delegates=people("Dev Patel", "Erin Walsh"), **organisation)
    trained(course, attended="part", days=2, delegates=people("Finn Doyle"), **organisation)
    url = live_server.url + reverse("records:training_record", args=[training_record_token(mine)])
    return {"url": url, "session": session, "booking": mine}


def test_the_record_is_accessible_and_fits_every_width(page, record):
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(record["url"])
        expect(page.get_by_role("heading", level=1)).to_have_text("Your organisation's training record")
        expect(page.locator("table caption")).to_contain_text("Everyone trained: 6")
        screenshot(page, f"training-record-{size['width']}")
        assert axe_violations(page) == [], f"at {size['width']} px"
        assert_no_sideways_scroll(page, f"the training record at {size['width']} px")


def test_filtering_downloading_and_booking_a_refresher(page, record):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(record["url"])
    page.get_by_role("link", name="Expired").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Expired")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.startswith("training-record-east-suffolk-and-north-essex-nhs")
    assert text.splitlines()[0] == "Name,Job role,Course,Completed on,Certificate number,Expires on,Status"
    assert len(text.splitlines()) == 7  # everyone, not only the filtered rows

    page.get_by_role("link", name="Book refresher for Chloe Hart").click()
    assert f"/book/{record['session'].pk}/" in page.url
    expect(page.locator('[name="form-0-name"]')).to_have_value("Chloe Hart")
    expect(page.locator('[name="form-0-email"]')).to_have_value("chloe@esneft.example")
    expect(page.locator('[name="organisation"]')).to_have_value("East Suffolk and North Essex NHS Foundation Trust")
    expect(page.locator('[name="ods_code"]')).to_have_value("RDE")
