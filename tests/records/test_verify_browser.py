"""The certificate check in a real browser: type a number as people do, press Enter, read the
answer; axe-clean and no sideways scroll on a phone and a desktop, for every kind of answer."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, screenshot
from tests.insights.test_browser import assert_no_sideways_scroll

from .test_certificate_pdf import issue_certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [{"width": 390, "height": 844}, {"width": 1280, "height": 900}, {"width": 360, "height": 740}]


@pytest.fixture
def site(live_server, transactional_db):
    from django.core.cache import cache

    cache.clear()
    yield live_server.url + reverse("records:verify")
    cache.clear()


@pytest.fixture
def valid():
    return issue_certificate(
        name="Alexandra Montgomery-Fitzwilliam",
        title="Positive Behaviour Support and Restrictive Practices Reduction",
        organisation="Orwell Care Homes Ltd",
        completed_on=timezone.localdate() - timedelta(days=20),
        certificate_validity_months=12,
    )


def test_type_a_number_press_enter_and_see_valid(page, site, valid):
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(site)
        expect(page.get_by_role("heading", level=1)).to_have_text("Check a certificate")
        assert axe_violations(page) == [], f"the form at {size['width']} px"
        assert_no_sideways_scroll(page, f"the form at {size['width']} px")

        field = page.get_by_label("Certificate number")
        field.fill(valid.number.lower().replace("-", " "))
        field.press("Enter")
        result = page.get_by_role("region", name="Valid")
        expect(result).to_be_visible()
        expect(result).to_contain_text("Alexandra Montgomery-Fitzwilliam")
        expect(result).to_contain_text("Positive Behaviour Support and Restrictive Practices Reduction")
        assert page.title().startswith("Valid: Check a certificate")
        assert f"number={valid.number.lower().replace('-', '+')}" in page.url  # a link people can share
        expect(page.get_by_label("Certificate number")).to_have_value(valid.number)
        assert "Orwell Care Homes" not in page.content()
        screenshot(page, f"certificate-verify-valid-{size['width']}")
        assert axe_violations(page) == [], f"valid at {size['width']} px"
        assert_no_sideways_scroll(page, f"valid at {size['width']} px")


def test_expired_not_found_and_a_typo_are_accessible_and_fit(page, site):
    expired = issue_certificate(
        name="Tom Reid",
        completed_on=timezone.localdate() - timedelta(days=800),
        certificate_validity_months=24,
    )
    answers = {
        "expired": (expired.number, "region", "Expired"),
        "not-found": ("7K3M-9QXP-2H4D", "region", "Not found"),
        "error": ("7K3M-9QXP", "alert", "There is a problem"),
    }
    for size in WIDTHS:
        page.set_viewport_size(size)
        for name, (typed, role, heading) in answers.items():
            page.goto(site)
            page.get_by_label("Certificate number").fill(typed)
            page.get_by_role("button", name="Check certificate").click()
            expect(page.get_by_role(role, name=heading)).to_be_visible()
            screenshot(page, f"certificate-verify-{name}-{size['width']}")
            assert axe_violations(page) == [], f"{name} at {size['width']} px"
            assert_no_sideways_scroll(page, f"{name} at {size['width']} px")
    # The error summary's link takes the keyboard to the field.
    page.get_by_role("link", name="Enter a certificate number of 12 letters").click()
    expect(page.get_by_label("Certificate number")).to_be_focused()
