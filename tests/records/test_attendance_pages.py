"""The trainer's attendance page, opened from the signed link: what it shows for each day, saving a
day (POST, then redirect), refusals shown at the top and beside the person, completion, and
links that are bad, tampered with or revoked."""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from booking.models import CourseSession, SessionDay
from booking.services import booking_remove_delegate
from records import links
from records.models import Attendance, Certificate
from tests.factories import CourseFactory, VenueFactory, make_booking, make_session
from trainers.models import Trainer

pytestmark = pytest.mark.django_db


def running_session(*, days=2, today_is_day=1, bookings=(2,), title="De-escalation Skills", trainer=True):
    """A session whose day `today_is_day` is today (0: it starts tomorrow), booked through the real
    services while it was still in the future and then moved back in time, day by day."""
    course = CourseFactory(title=title)
    helen = None
    if trainer:
        helen = Trainer.objects.create(name="Helen Ward", email="helen.ward@example.com")
        helen.courses.add(course)
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    session = make_session(course=course, venue=venue, starts_in_days=10, days=days, trainer=helen)
    made = [make_booking(session, count=count, organisation=f"Organisation {n}") for n, count in enumerate(bookings)]
    shift = timedelta(days=10 + today_is_day - 1)
    SessionDay.objects.filter(session=session).update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift, booking_closes_at=F("booking_closes_at") - shift
    )
    session.refresh_from_db()
    session.bookings_made = made
    return session


def page_url(session):
    return reverse("records:attendance", args=[links.attendance_token(session)])


def people(session):
    from records.services import session_delegates

    return list(session_delegates(session))


def day_form(session, number, marks):
    """The form of day `number` as posted: {delegate: status}."""
    day = list(session.days.all())[number - 1]
    data = {"day": str(day.pk)}
    for delegate, status in marks.items():
        data[f"day{day.pk}-d{delegate.pk}"] = status
    return data


def text(response):
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_page_shows_the_course_and_a_form_for_today_with_everyone_on_it(client):
    session = running_session(days=2, bookings=(2, 1))
    response = client.get(page_url(session))
    assert response.status_code == 200
    words = text(response)
    assert "De-escalation Skills" in words and "Orwell Training Centre, Ipswich IP3 9SJ" in words
    assert "Trainer Helen Ward" in words
    assert "0 of 6 marked" in words
    html = response.content.decode()
    day1, day2 = session.days.all()
    for delegate in people(session):
        for status in ("attended", "absent", "left_early"):
            assert f'name="day{day1.pk}-d{delegate.pk}" value="{status}"' in html
        assert f"day{day2.pk}-d{delegate.pk}" not in html  # tomorrow: no form yet
    tomorrow = timezone.localtime(day2.starts_at)
    assert f"Attendance for this day can be taken from {tomorrow:%a} {tomorrow.day} {tomorrow:%B %Y}" in words
    assert 'value="attended" checked' not in html and " checked" not in html  # nobody preselected


def test_the_page_is_private_and_never_stored(client):
    response = client.get(page_url(running_session()))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1.abc:def", "1.abc", "caf%C3%A9", "9" * 400],
)
def test_a_bad_link_is_the_sites_not_found_page(client, token):
    response = client.get(f"/records/attendance/{token}/")
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]


def test_a_tampered_or_revoked_link_is_not_found(client):
    session = running_session()
    token = links.attendance_token(session)
    value, _, signature = token.rpartition(":")
    other = running_session(title="Personal Safety")
    forged = f"{other.pk}.{session.attendance_key}:{signature}"
    assert client.get(reverse("records:attendance", args=[forged])).status_code == 404
    assert client.get(reverse("records:attendance", args=[token[:-1] + "x"])).status_code == 404
    CourseSession.objects.filter(pk=session.pk).update(attendance_key="a-new-key")
    response = client.get(reverse("records:attendance", args=[token]))
    assert response.status_code == 404
    assert client.post(reverse("records:attendance", args=[token]), {"day": "1"}).status_code == 404


def test_saving_a_day_records_the_marks_and_redirects_to_the_page_with_the_state(client):
    session = running_session(days=2, bookings=(3,))
    sam, alex, jo = people(session)
    response = client.post(page_url(session), day_form(session, 1, {sam: "attended", alex: "absent"}))
    assert response.status_code == 302 and response["Location"] == page_url(session)
    marks = {row.delegate_id: (row.status, row.marked_by) for row in Attendance.objects.all()}
    assert marks == {sam.pk: ("attended", "Helen Ward (trainer)"), alex.pk: ("absent", "Helen Ward (trainer)")}

    words = text(client.get(response["Location"]))
    assert "Attendance saved for day 1: 2 of 3 marked." in words
    assert "2 of 6 marked" in words
    # What is missing, by day, by name.
    assert f"Day 1 : {jo.name}" in words
    assert re.search(rf"Day 2 \(from [^)]+\): {sam.name}, {alex.name}, {jo.name}", words)
    html = client.get(page_url(session)).content.decode()
    day1 = session.days.first()
    assert re.search(rf'name="day{day1.pk}-d{sam.pk}" value="attended"[^>]*checked', html)
    assert re.search(rf'name="day{day1.pk}-d{alex.pk}" value="absent"[^>]*checked', html)


def test_a_mark_can_be_changed_by_saving_the_day_again(client):
    session = running_session(days=2, bookings=(1,))
    [sam] = people(session)
    client.post(page_url(session), day_form(session, 1, {sam: "attended"}))
    client.post(page_url(session), day_form(session, 1, {sam: "left_early"}))
    assert list(Attendance.objects.values_list("status", flat=True)) == ["left_early"]


def test_saving_with_nobody_chosen_says_so_at_the_top_and_saves_nothing(client):
    session = running_session()
    response = client.post(page_url(session), day_form(session, 1, {}))
    assert response.status_code == 400
    words = text(response)
    assert "There is a problem" in words and "Mark at least one person." in words
    [first, _] = people(session)
    assert response.context["error_summary"][0]["anchor"] == f"id_day{session.days.first().pk}-d{first.pk}_0"
    assert not Attendance.objects.exists()


def test_a_made_up_status_is_refused_beside_the_person(client):
    session = running_session(bookings=(2,))
    sam, alex = people(session)
    response = client.post(page_url(session), day_form(session, 1, {sam: "attended", alex: "asleep"}))
    assert response.status_code == 400
    day = session.days.first()
    [error] = response.context["error_summary"]
    assert error["message"] == f"Choose attended, absent or left early for {alex.name}"
    assert error["anchor"] == f"id_day{day.pk}-d{alex.pk}_0"
    html = response.content.decode()
    assert f'id="{error["anchor"]}"' in html  # the summary's link lands on the person's first choice
    assert f'aria-describedby="id_day{day.pk}-d{alex.pk}-error"' in html
    assert not Attendance.objects.exists()


def test_a_day_not_yet_started_cannot_be_marked(client):
    session = running_session(days=2)
    sam, alex = people(session)
    response = client.post(page_url(session), day_form(session, 2, {sam: "attended"}))
    assert response.status_code == 400
    assert "can be taken from that day" in text(response)
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("day", ["", "x", "999999", "-1", "1e3"])
def test_a_post_naming_no_day_of_this_course_is_refused(client, day):
    session = running_session()
    response = client.post(page_url(session), {"day": day})
    assert response.status_code == 400
    assert "That day is not part of this course" in text(response)


def test_a_day_of_another_course_is_refused(client):
    session, other = running_session(), running_session(title="Personal Safety")
    [sam, _] = people(session)
    data = day_form(other, 1, {})
    data[f"day{other.days.first().pk}-d{sam.pk}"] = "attended"
    response = client.post(page_url(session), data)
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_someone_removed_after_the_page_was_shown_is_refused_whole(client):
    session = running_session(bookings=(3,))
    sam, alex, jo = people(session)
    booking_remove_delegate(booking=jo.booking, delegate_id=jo.pk, actor="staff:office", by_staff=True)
    response = client.post(page_url(session), day_form(session, 1, {sam: "attended", alex: "attended", jo: "absent"}))
    assert response.status_code == 400
    assert "Someone on the list is no longer booked on this course: reload the page." in text(response)
    assert not Attendance.objects.exists()
    # Reloaded, the form no longer offers them.
    assert f"-d{jo.pk}" not in client.get(page_url(session)).content.decode()


def test_a_delegate_of_another_course_is_never_offered_nor_accepted(client):
    session, other = running_session(), running_session(title="Personal Safety")
    [stranger, _] = people(other)
    html = client.get(page_url(session)).content.decode()
    assert f"-d{stranger.pk}" not in html
    data = day_form(session, 1, {})
    data[f"day{session.days.first().pk}-d{stranger.pk}"] = "attended"
    response = client.post(page_url(session), data)
    assert response.status_code == 400
    assert "no longer booked on this course" in text(response)
    assert not Attendance.objects.exists()


def test_marking_every_day_completes_the_course_and_shows_who_has_a_certificate(client):
    session = running_session(days=2, today_is_day=2, bookings=(2,))
    sam, alex = people(session)
    client.post(page_url(session), day_form(session, 1, {sam: "attended", alex: "attended"}))
    response = client.post(page_url(session), day_form(session, 2, {sam: "attended", alex: "left_early"}), follow=True)
    words = text(response)
    assert (
        "Attendance saved for day 2: 2 of 2 marked. Attendance is complete for every day. Certificates issued: 1."
        in words
    )
    assert "Attendance is complete" in words and "4 of 4 marked" in words
    assert f"Certificates issued to: {sam.name}" in words
    assert alex.name not in words.split("Certificates issued to:")[1].split("Day 2")[0]
    session.refresh_from_db()
    assert session.completed_at is not None
    assert list(Certificate.objects.values_list("holder_name", flat=True)) == [sam.name]


def test_the_latest_day_that_can_be_marked_comes_first(client):
    session = running_session(days=3, today_is_day=2)
    html = client.get(page_url(session)).content.decode()
    order = [int(n) for n in re.findall(r'<section class="att-day" id="day-(\d)"', html)]
    assert order == [2, 1, 3]


def test_a_cancelled_course_has_no_attendance_to_take(client):
    session = running_session()
    CourseSession.objects.filter(pk=session.pk).update(status="cancelled")
    response = client.get(page_url(session))
    assert response.status_code == 200
    assert "This course was cancelled" in text(response)
    assert "att-form" not in response.content.decode()
