"""The organisation's training record behind the booker's signed link: whose training it shows
(ODS code; else the same name AND email domain), each person's certificate and status, the
"Book refresher" links, the CSV, and that the page's queries do not grow with its rows."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import links as booking_links
from records import selectors
from records.links import training_record_token
from tests.factories import CourseFactory, make_session
from tests.records.training_helpers import trained

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory(title="Conflict Resolution", certificate_validity_months=12)


def today():
    return timezone.localdate()


def page_url(booking):
    return reverse("records:training_record", args=[training_record_token(booking)])


def csv_url(booking):
    return reverse("records:training_record_csv", args=[training_record_token(booking)])


def names(rows):
    return sorted(row.name for row in rows)


def people(prefix):
    return {"prefix": f"{prefix}-"}


# Whose training --------------------------------------------------------------------------------


def test_by_ods_code_whatever_the_organisation_is_called_at_the_same_domain(course):
    mine, _ = trained(course, organisation="East Suffolk NHS FT", ods_code="RGT", contact_email="l@esneft.example")
    trained(course, organisation="ESNEFT", ods_code="rgt", contact_email="x@esneft.example", **people("b"))
    trained(course, organisation="Ipswich Hospital", ods_code="RGT", contact_email="y@ESNEFT.example", **people("c"))
    trained(course, organisation="East Suffolk NHS FT", ods_code="RDE", contact_email="z@esneft.example")  # other code
    rows = selectors.training_record(mine)
    expected = ["b-0@example.org", "c-0@example.org", *(d.email for d in mine.delegates.all())]
    assert sorted(row.email for row in rows) == sorted(expected)


def test_a_stranger_typing_a_trusts_ods_code_sees_none_of_its_people(course):
    """ODS codes are public and the booking form takes any: the code alone opens nothing."""
    trained(course, organisation="East Suffolk NHS FT", ods_code="RGT", contact_email="l@esneft.example", **people("a"))
    stranger, _ = trained(
        course, organisation="East Suffolk NHS FT", ods_code="RGT", contact_email="me@attacker.example", **people("s")
    )
    assert sorted(r.email for r in selectors.training_record(stranger)) == ["s-0@example.org"]


def test_with_an_ods_code_bookings_without_one_count_by_name_and_domain(course):
    mine, _ = trained(course, organisation="East Suffolk NHS FT", ods_code="RGT", **people("a"))
    trained(course, organisation="east suffolk nhs ft", **people("b"))  # no code, same name and domain
    trained(course, organisation="East Suffolk NHS FT", contact_email="x@elsewhere.example", **people("c"))
    assert sorted(r.email for r in selectors.training_record(mine)) == ["a-0@example.org", "b-0@example.org"]


def test_without_an_ods_code_by_name_and_email_domain(course):
    mine, _ = trained(course, organisation="St. Mary's  Hospital", contact_email="ward5@stmarys.example", **people("a"))
    trained(course, organisation="ST MARYS HOSPITAL", contact_email="Training@STMARYS.example", **people("b"))
    trained(course, organisation="St Mary’s Hospital!", contact_email="hr@stmarys.example", **people("c"))
    # The same name at another organisation (another domain) is never shown.
    trained(course, organisation="St Mary's Hospital", contact_email="admin@stmarys-leeds.example", **people("d"))
    # Nor another name at the same domain.
    trained(course, organisation="St Mary's Surgery", contact_email="gp@stmarys.example", **people("e"))
    rows = selectors.training_record(mine)
    assert sorted(r.email for r in rows) == ["a-0@example.org", "b-0@example.org", "c-0@example.org"]

    # ... and the other St Mary's sees only its own.
    other = selectors.organisation_bookings(
        trained(course, organisation="St Mary's Hospital", contact_email="ops@stmarys-leeds.example")[0]
    )
    assert all(b.contact_email.endswith("@stmarys-leeds.example") for b in other)


def test_on_a_shared_email_domain_only_the_same_bookers_bookings(course):
    mine, _ = trained(course, organisation="Bright Care", contact_email="jo.bright@gmail.com", **people("a"))
    trained(course, organisation="Bright Care", contact_email="Jo.Bright@gmail.com", **people("b"))
    trained(course, organisation="Bright Care", contact_email="someone.else@gmail.com", **people("c"))
    assert sorted(r.email for r in selectors.training_record(mine)) == ["a-0@example.org", "b-0@example.org"]


def test_who_appears(course):
    mine, _ = trained(course, people=2, **people("all-days"))
    trained(course, attended="part", days=2, **people("one-day"))  # came for part: listed, no certificate
    trained(course, attended=False, **people("absent"))  # did not come: not listed
    # Booked on a course that has not finished: not listed.
    from tests.factories import make_booking

    make_booking(make_session(course=course), count=1, prefix="upcoming-")
    rows = selectors.training_record(mine)
    assert sorted(r.email for r in rows) == [
        "all-days-0@example.org",
        "all-days-1@example.org",
        "one-day-0@example.org",
    ]
    [partial] = [r for r in rows if r.email.startswith("one-day")]
    assert partial.certificate_number == "Not issued: did not attend every day"
    assert partial.status_text == "No certificate" and partial.expires_on is None and not partial.book_url


# Statuses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "status"),
    [
        (-1, "Expired"),
        (0, "Expiring within 90 days"),  # valid to the end of its last day
        (89, "Expiring within 90 days"),
        (90, "In date"),
        (None, "Does not expire"),
    ],
)
def test_status_at_the_boundaries(course, days_left, status, settings):
    assert settings.TRAINING_RECORD_EXPIRING_DAYS == 90
    day = date(2026, 6, 1)
    expires_on = None if days_left is None else day + timedelta(days=days_left)
    if days_left is None:
        course = CourseFactory(title="Breakaway", certificate_validity_months=None)
    booking, [certificate] = trained(course, expires_on=expires_on)
    assert certificate.expires_on == expires_on
    [row] = selectors.training_record(booking, today=day)
    assert row.status_text == status


def test_the_most_urgent_first_then_by_expiry(course):
    mine, _ = trained(course, expires_on=today() + timedelta(days=200), **people("in-date-late"))
    trained(course, expires_on=today() + timedelta(days=100), **people("in-date-soon"))
    trained(course, expires_on=today() + timedelta(days=30), **people("expiring"))
    trained(course, expires_on=today() - timedelta(days=3), **people("expired-recent"))
    trained(course, expires_on=today() - timedelta(days=300), **people("expired-long"))
    trained(course, attended="part", days=2, **people("part"))
    order = [row.email.split("-0@")[0] for row in selectors.training_record(mine)]
    assert order == ["expired-long", "expired-recent", "expiring", "in-date-soon", "in-date-late", "part"]


def test_a_renewed_certificate_is_not_shown_as_expired(course):
    mine, [old] = trained(course, expires_on=today() - timedelta(days=10), days_ago=380)
    renewal, [new] = trained(course, expires_on=today() + timedelta(days=355), days_ago=10)
    renewal.delegates.update(email=old.holder_email)
    new.holder_email = old.holder_email
    new.save()
    rows = {row.certificate_number: row for row in selectors.training_record(mine)}
    assert rows[old.number].status_text == "Renewed" and not rows[old.number].book_url
    assert rows[new.number].status_text == "In date"


def test_book_refresher_for_expiring_and_expired_only(course):
    refresher = CourseFactory(title="Conflict Resolution Refresher")
    course.refresher_course = refresher
    course.save()
    later = make_session(course=refresher, starts_in_days=40)
    sooner = make_session(course=refresher, starts_in_days=20)
    mine, [expiring] = trained(
        course, expires_on=today() + timedelta(days=30), contact_name="Priya Shah", **people("expiring")
    )
    trained(course, expires_on=today() - timedelta(days=5), **people("expired"))
    trained(course, expires_on=today() + timedelta(days=300), **people("in-date"))
    rows = {row.email.split("-0@")[0]: row for row in selectors.training_record(mine)}
    assert rows["in-date"].book_url == ""
    for key in ("expiring", "expired"):
        assert f"/book/{sooner.pk}/?prefill=" in rows[key].book_url
        assert f"/book/{later.pk}/" not in rows[key].book_url
    values = booking_links.prefill_values(rows["expiring"].book_url.split("?prefill=")[1])
    assert values["name"] == expiring.holder_name and values["email"] == expiring.holder_email
    assert values["organisation"] == "East Coast NHS Trust" and values["contact_name"] == "Priya Shah"


def test_book_refresher_goes_to_the_course_page_when_there_are_no_dates(course):
    mine, _ = trained(course, expires_on=today() + timedelta(days=30))
    [row] = selectors.training_record(mine)
    assert row.book_url.endswith(f"/courses/{course.slug}/#dates")


# The page --------------------------------------------------------------------------------------


def test_the_page_shows_counts_rows_and_the_csv_link(client, course):
    mine, [cert] = trained(course, expires_on=today() + timedelta(days=30), **people("a"))
    trained(course, expires_on=today() - timedelta(days=1), **people("b"))
    trained(course, expires_on=today() + timedelta(days=200), people=2, **people("c"))
    response = client.get(page_url(mine))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex, nofollow"
    page = response.content.decode()
    assert '<span class="fs-2 fw-bold">1</span> expired' in page
    assert '<span class="fs-2 fw-bold">1</span> expiring within 90 days' in page
    assert '<span class="fs-2 fw-bold">2</span> in date' in page
    assert cert.number in page and "Book refresher" in page
    assert f'href="{csv_url(mine)}"' in page
    assert "Everyone trained: 4, most urgent first</caption>" in page


def test_the_page_filters_by_status(client, course):
    mine, _ = trained(course, expires_on=today() + timedelta(days=30), **people("a"))
    trained(course, expires_on=today() - timedelta(days=1), **people("b"))
    page = client.get(page_url(mine), {"status": "expired"}).content.decode()
    assert page.count("<tr>") == 2  # the header and one person
    assert "Expired: 1 of 2" in page
    # An unknown filter shows everyone.
    page = client.get(page_url(mine), {"status": "<script>"}).content.decode()
    assert page.count("<tr>") == 3 and "<script>" not in page


@pytest.mark.parametrize("view", ["records:training_record", "records:training_record_csv"])
def test_a_bad_token_is_404(client, course, view):
    mine, _ = trained(course)
    good = training_record_token(mine)
    for token in (good[:-1] + ("A" if good[-1] != "A" else "B"), "nonsense", booking_links.manage_token(mine)):
        assert client.get(reverse(view, args=[token])).status_code == 404
    # A new manage key (a new manage link sent) revokes the record link too.
    mine.manage_key = "rotated-key"
    mine.save()
    assert client.get(reverse(view, args=[good])).status_code == 404


def test_the_page_queries_do_not_grow_with_its_rows(client, course, django_assert_max_num_queries):
    refresher = CourseFactory(title="Refresher")
    course.refresher_course = refresher
    course.save()
    make_session(course=refresher, starts_in_days=20)
    mine, _ = trained(course, people=3, expires_on=today() + timedelta(days=30))
    url = page_url(mine)
    with django_assert_max_num_queries(8) as few:
        assert client.get(url).status_code == 200
    for n in range(4):
        trained(course, people=3, expires_on=today() - timedelta(days=n), **people(f"more{n}"))
    trained(course, attended="part", days=2, people=2, **people("part"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("Book refresher<") == 15
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(csv_url(mine)).status_code == 200


# The CSV ---------------------------------------------------------------------------------------


def read_csv(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv(client, course):
    mine, [cert] = trained(
        course, expires_on=date(2026, 3, 9), organisation="St. Mary's Hospital", **people("a"), days_ago=300
    )
    trained(course, attended="part", days=2, organisation="St. Mary's Hospital", **people("b"))
    response = client.get(csv_url(mine))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="training-record-st-marys-hospital-{today():%Y-%m-%d}.csv"'
    )
    header, *rows = read_csv(response)
    assert header == ["Name", "Job role", "Course", "Completed on", "Certificate number", "Expires on", "Status"]
    by_number = {row[4]: row for row in rows}
    row = by_number[cert.number]
    assert row == [
        cert.holder_name,
        "Nurse",
        "Conflict Resolution",
        f"{cert.completed_on:%d/%m/%Y}",
        cert.number,
        "09/03/2026",
        selectors.training_record(mine)[0].status_text,
    ]
    partial = by_number["Not issued: did not attend every day"]
    assert partial[5] == "" and partial[6] == "No certificate"


def test_the_csv_never_holds_a_formula(client, course):
    mine, [cert] = trained(course, expires_on=today() + timedelta(days=30))
    delegate = cert.delegate
    delegate.job_role = "@SUM(1+1)"
    delegate.save()
    cert.holder_name = '=HYPERLINK("http://evil.example","Click")'
    cert.save()
    evil_course = CourseFactory(title="-2+3", certificate_validity_months=12)
    trained(evil_course, expires_on=today() + timedelta(days=30), **people("b"))
    _, *rows = read_csv(client.get(csv_url(mine)))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","Click")' in cells
    assert "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)
