"""The trainers admin and the trainer on the session admin: every change is checked by the one
clash rule before anything is saved; Sales can look, not change."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import services as booking_services
from booking.models import CourseSession, SessionDay
from tests.booking.test_admin import form_data
from tests.factories import CourseFactory, VenueFactory, london
from trainers.models import Trainer, TrainerUnavailability

from .conftest import day, make_session_on, make_trainer

pytestmark = pytest.mark.django_db

TRAINERS = reverse("admin:trainers_trainer_changelist")
SESSIONS = reverse("admin:booking_coursesession_changelist")
ADD_SESSION = reverse("admin:booking_coursesession_add")


def trainer_url(trainer):
    return reverse("admin:trainers_trainer_change", args=[trainer.pk])


def session_url(session):
    return reverse("admin:booking_coursesession_change", args=[session.pk])


def trainer_form(trainer, *away):
    """The trainer's change form as posted, with these (from, to, reason) rows of days away added."""
    existing = list(trainer.unavailable.all())
    data = {
        "name": trainer.name,
        "email": trainer.email,
        "phone": str(trainer.phone or ""),
        "courses": [str(pk) for pk in trainer.courses.values_list("pk", flat=True)],
        "notes": trainer.notes,
        "unavailable-TOTAL_FORMS": str(len(existing) + len(away)),
        "unavailable-INITIAL_FORMS": str(len(existing)),
        "unavailable-MIN_NUM_FORMS": "0",
        "unavailable-MAX_NUM_FORMS": "1000",
    }
    if trainer.is_active:
        data["is_active"] = "on"
    for n, period in enumerate(existing):
        data.update(
            {
                f"unavailable-{n}-id": str(period.pk),
                f"unavailable-{n}-trainer": str(trainer.pk),
                f"unavailable-{n}-starts_on": f"{period.starts_on:%d/%m/%Y}",
                f"unavailable-{n}-ends_on": f"{period.ends_on:%d/%m/%Y}",
                f"unavailable-{n}-reason": period.reason,
            }
        )
    for n, (first, last, reason) in enumerate(away, start=len(existing)):
        data.update(
            {
                f"unavailable-{n}-trainer": str(trainer.pk),
                f"unavailable-{n}-starts_on": f"{first:%d/%m/%Y}",
                f"unavailable-{n}-ends_on": f"{last:%d/%m/%Y}",
                f"unavailable-{n}-reason": reason,
            }
        )
    return data


def move_day(data, n, when, start="09:30:00", end="16:30:00"):
    data.update(
        {
            f"days-{n}-starts_at_0": f"{when:%d/%m/%Y}",
            f"days-{n}-starts_at_1": start,
            f"days-{n}-ends_at_0": f"{when:%d/%m/%Y}",
            f"days-{n}-ends_at_1": end,
        }
    )


def trainer_errors(response):
    return response.context["adminform"].form.errors.get("trainer")


def soon(days_ahead):
    """A date some days ahead, as a (start, end) day in UK time: the admin lists what is to come."""
    when = timezone.localdate() + timedelta(days=days_ahead)
    return day(when.year, when.month, when.day)


# ---------------------------------------------------------------------------------------------
# The trainers admin


def test_the_list_shows_each_trainers_next_day(admin_client, helen, conflict):
    past = make_session_on(day(2020, 3, 3), course=conflict, trainer=helen)
    cancelled = make_session_on(soon(5), course=conflict, trainer=helen)
    booking_services.session_cancel(session=cancelled)
    make_session_on(soon(12), course=conflict, trainer=helen)
    make_trainer("Sam Cole", courses=[conflict])

    response = admin_client.get(TRAINERS)

    assert response.status_code == 200
    rows = {trainer.name: trainer for trainer in response.context["cl"].result_list}
    assert timezone.localdate(rows["Helen Ward"].next_day_at) == timezone.localdate() + timedelta(days=12)
    assert rows["Sam Cole"].next_day_at is None
    assert past.trainer == helen
    assert admin_client.get(TRAINERS, {"q": "helen"}).context["cl"].result_count == 1


def test_the_trainers_page_lists_upcoming_days_with_links(admin_client, helen, conflict, ipswich):
    make_session_on(day(2020, 3, 3), course=conflict, trainer=helen)
    public = make_session_on(soon(8), soon(9), course=conflict, venue=ipswich, trainer=helen)
    in_house = make_session_on(soon(20), course=conflict, trainer=helen, is_in_house=True)
    cancelled = make_session_on(soon(30), course=conflict, trainer=helen)
    booking_services.session_cancel(session=cancelled)

    response = admin_client.get(trainer_url(helen))

    assert response.status_code == 200
    days = list(response.context["upcoming_days"])
    assert [(d.session, timezone.localdate(d.starts_at)) for d in days] == [
        (public, timezone.localdate() + timedelta(days=8)),
        (public, timezone.localdate() + timedelta(days=9)),
        (in_house, timezone.localdate() + timedelta(days=20)),
    ]
    page = response.content.decode()
    assert page.count(f'href="{session_url(public)}"') == 2
    assert f'href="{session_url(in_house)}"' in page
    assert session_url(cancelled) not in page
    assert "In-house" in page


def test_days_away_over_a_session_are_refused_naming_it(admin_client, helen, conflict, ipswich):
    make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)

    response = admin_client.post(
        trainer_url(helen), trainer_form(helen, (date(2037, 3, 2), date(2037, 3, 6), "annual leave"))
    )

    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert formset.formset.forms[0].errors["starts_on"] == [
        "Helen Ward is on Conflict Resolution, Ipswich on Tue 3 March 2037. "
        "Give those sessions another trainer first, or choose other days."
    ]
    assert not TrainerUnavailability.objects.exists()


def test_days_away_clear_of_sessions_are_saved(admin_client, helen, conflict):
    make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)

    response = admin_client.post(
        trainer_url(helen), trainer_form(helen, (date(2037, 3, 4), date(2037, 3, 6), "annual leave"))
    )

    assert response.status_code == 302
    period = TrainerUnavailability.objects.get()
    assert (period.trainer, period.starts_on, period.ends_on, period.reason) == (
        helen,
        date(2037, 3, 4),
        date(2037, 3, 6),
        "annual leave",
    )


def test_deactivating_a_trainer_with_days_to_come_warns(admin_client, helen, conflict):
    make_session_on(soon(10), course=conflict, trainer=helen)
    data = trainer_form(helen)
    del data["is_active"]

    response = admin_client.post(trainer_url(helen), data, follow=True)

    helen.refresh_from_db()
    assert not helen.is_active
    messages = [str(m) for m in response.context["messages"]]
    assert "Helen Ward is still on 1 upcoming day(s): give those sessions another trainer." in messages


def test_the_session_forms_trainer_box_offers_active_trainers_only(admin_client, helen, conflict):
    make_trainer("Helen Old", courses=[conflict], is_active=False)
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "booking", "model_name": "coursesession", "field_name": "trainer", "term": "helen"},
    )
    assert [row["text"] for row in json.loads(response.content)["results"]] == ["Helen Ward"]


# ---------------------------------------------------------------------------------------------
# The trainer on the session admin


@pytest.fixture
def busy_tuesday(helen, conflict, ipswich):
    """Helen is on Conflict Resolution in Ipswich on Tue 3 March 2037."""
    return make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)


def test_choosing_a_busy_trainer_is_a_form_error_and_changes_nothing(admin_client, helen, busy_tuesday, deescalation):
    other = make_session_on(day(2037, 3, 3), course=deescalation, capacity=12)
    data = form_data(admin_client, session_url(other))
    data.update({"trainer": str(helen.pk), "capacity": "14"})

    response = admin_client.post(session_url(other), data)

    assert response.status_code == 200
    message = "Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037."
    assert trainer_errors(response) == [message]
    assert message in response.content.decode()
    other.refresh_from_db()
    assert (other.trainer, other.capacity) == (None, 12)


def test_choosing_a_free_trainer_saves_through_the_service(admin_client, helen, busy_tuesday, deescalation):
    wednesday = make_session_on(day(2037, 3, 4), course=deescalation)
    data = form_data(admin_client, session_url(wednesday))
    data["trainer"] = str(helen.pk)

    response = admin_client.post(session_url(wednesday), data)

    assert response.status_code == 302
    wednesday.refresh_from_db()
    assert wednesday.trainer == helen


def test_taking_the_trainer_off_frees_the_day(admin_client, helen, busy_tuesday):
    data = form_data(admin_client, session_url(busy_tuesday))
    data["trainer"] = ""
    assert admin_client.post(session_url(busy_tuesday), data).status_code == 302
    busy_tuesday.refresh_from_db()
    assert busy_tuesday.trainer is None


def test_moving_days_onto_a_busy_day_is_refused_and_changes_nothing(admin_client, helen, busy_tuesday, deescalation):
    monday = make_session_on(day(2037, 3, 2), course=deescalation, trainer=helen)
    data = form_data(admin_client, session_url(monday))
    move_day(data, 0, date(2037, 3, 3))

    response = admin_client.post(session_url(monday), data)

    assert response.status_code == 200
    message = "Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037."
    assert trainer_errors(response) == [message]
    # Above the days too, where the change was made.
    days_formset = response.context["inline_admin_formsets"][0].formset
    assert days_formset.non_form_errors() == [message]
    monday.refresh_from_db()
    assert (monday.starts_at, monday.trainer) == (london(2037, 3, 2), helen)
    assert list(SessionDay.objects.filter(session=monday).values_list("starts_at", flat=True)) == [london(2037, 3, 2)]


def test_moving_a_session_within_its_own_days_is_fine(admin_client, helen, conflict):
    two_days = make_session_on(day(2037, 3, 9), day(2037, 3, 10), course=conflict, trainer=helen)
    data = form_data(admin_client, session_url(two_days))
    move_day(data, 0, date(2037, 3, 10))
    move_day(data, 1, date(2037, 3, 11))

    response = admin_client.post(session_url(two_days), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    two_days.refresh_from_db()
    assert (two_days.starts_at, two_days.ends_at, two_days.trainer) == (
        london(2037, 3, 10),
        london(2037, 3, 11, 16, 30),
        helen,
    )


def test_a_new_venue_checks_the_trainer_again(admin_client, helen, busy_tuesday):
    Trainer.objects.filter(pk=helen.pk).update(is_active=False)
    data = form_data(admin_client, session_url(busy_tuesday))
    data["venue"] = str(VenueFactory(town="Colchester").pk)

    response = admin_client.post(session_url(busy_tuesday), data)

    assert trainer_errors(response) == ["Helen Ward is no longer active. Choose another trainer."]
    busy_tuesday.refresh_from_db()
    assert busy_tuesday.venue.town == "Ipswich"


def test_other_changes_leave_the_trainer_alone(admin_client, helen, busy_tuesday):
    # Even for a trainer who has since left: the office may still fix a typo on the session.
    Trainer.objects.filter(pk=helen.pk).update(is_active=False)
    data = form_data(admin_client, session_url(busy_tuesday))
    data["joining_instructions"] = "Report to reception."
    assert admin_client.post(session_url(busy_tuesday), data).status_code == 302
    busy_tuesday.refresh_from_db()
    assert (busy_tuesday.joining_instructions, busy_tuesday.trainer) == ("Report to reception.", helen)


def add_session_data(course, venue, trainer, *dates):
    data = {
        "course": course.pk,
        "venue": venue.pk,
        "trainer": trainer.pk if trainer else "",
        "capacity": "10",
        "price": "",
        "booking_closes_at_0": "",
        "booking_closes_at_1": "",
        "joining_instructions": "",
        "days-TOTAL_FORMS": str(len(dates)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "1",
        "days-MAX_NUM_FORMS": "1000",
    }
    for n, when in enumerate(dates):
        move_day(data, n, when, "09:30", "16:30")
    return data


def test_adding_a_session_with_a_busy_trainer_creates_nothing(admin_client, helen, busy_tuesday, deescalation):
    response = admin_client.post(
        ADD_SESSION, add_session_data(deescalation, VenueFactory(), helen, date(2037, 3, 2), date(2037, 3, 3))
    )
    assert response.status_code == 200
    assert trainer_errors(response) == ["Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037."]
    assert CourseSession.objects.count() == 1


def test_adding_a_session_for_a_course_the_trainer_does_not_deliver_is_refused(admin_client, helen):
    lone = CourseFactory(title="Lone Worker Safety")
    response = admin_client.post(ADD_SESSION, add_session_data(lone, VenueFactory(), helen, date(2037, 3, 2)))
    assert trainer_errors(response) == ["Helen Ward is not set up to deliver Lone Worker Safety."]
    assert not CourseSession.objects.exists()


def test_adding_a_session_with_a_free_trainer(admin_client, helen, busy_tuesday, deescalation):
    response = admin_client.post(
        ADD_SESSION, add_session_data(deescalation, VenueFactory(), helen, date(2037, 3, 4), date(2037, 3, 5))
    )
    assert response.status_code == 302
    session = CourseSession.objects.get(course=deescalation)
    assert (session.trainer, session.starts_at) == (helen, london(2037, 3, 4))


def test_the_session_list_shows_trainer_and_in_house_with_a_filter(admin_client, helen, busy_tuesday, conflict):
    in_house = make_session_on(day(2037, 3, 5), course=conflict, is_in_house=True)

    page = admin_client.get(SESSIONS)
    assert page.status_code == 200
    content = page.content.decode()
    assert "column-trainer" in content and "column-is_in_house" in content
    assert list(admin_client.get(SESSIONS, {"is_in_house__exact": "1"}).context["cl"].result_list) == [in_house]
    assert list(admin_client.get(SESSIONS, {"trainer__id__exact": helen.pk}).context["cl"].result_list) == [
        busy_tuesday
    ]


# ---------------------------------------------------------------------------------------------
# Sales: look, not change


def test_sales_can_view_trainers_but_not_change_them(client, sales_user, helen, busy_tuesday):
    client.force_login(sales_user)

    assert client.get(TRAINERS).status_code == 200
    page = client.get(trainer_url(helen))
    assert page.status_code == 200
    assert "Conflict Resolution" in page.content.decode()  # the upcoming days
    assert 'name="_save"' not in page.content.decode()

    assert client.get(reverse("admin:trainers_trainer_add")).status_code == 403
    data = trainer_form(helen, (date(2037, 3, 9), date(2037, 3, 9), "leave"))
    data["name"] = "Renamed"
    assert client.post(trainer_url(helen), data).status_code == 403
    helen.refresh_from_db()
    assert helen.name == "Helen Ward"
    assert not TrainerUnavailability.objects.exists()


def test_sales_cannot_put_a_trainer_on_a_session(client, sales_user, helen, deescalation):
    other = make_session_on(day(2037, 3, 4), course=deescalation)
    client.force_login(sales_user)
    data = form_data(client, session_url(other))
    data["trainer"] = str(helen.pk)
    assert client.post(session_url(other), data).status_code == 403
    other.refresh_from_db()
    assert other.trainer is None
