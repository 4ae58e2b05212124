"""The one clash rule: a trainer is on at most one session a UK day, never on a day away, only on
courses they deliver, and only while active. A refusal changes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from booking import services as booking_services
from booking.models import CourseSession
from tests.factories import CourseFactory, VenueFactory, london
from trainers import services
from trainers.models import TrainerUnavailability

from .conftest import day, make_session_on, make_trainer

pytestmark = pytest.mark.django_db


def refusal(exc_info):
    return exc_info.value.message_dict["trainer"]


def assign(session, trainer):
    return services.session_assign_trainer(session=session, trainer=trainer)


# ---------------------------------------------------------------------------------------------
# Two sessions on one day


def test_the_same_day_on_two_sessions_is_refused_naming_the_session_and_date(helen, conflict, deescalation, ipswich):
    make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)
    other = make_session_on(day(2037, 3, 3), course=deescalation)

    with pytest.raises(ValidationError) as exc:
        assign(other, helen)

    assert refusal(exc) == ["Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037."]
    other.refresh_from_db()
    assert other.trainer is None


def test_creating_a_session_on_a_taken_day_is_refused_and_creates_nothing(helen, conflict, deescalation, ipswich):
    make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)

    with pytest.raises(ValidationError) as exc:
        make_session_on(day(2037, 3, 3), course=deescalation, trainer=helen)

    assert refusal(exc) == ["Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037."]
    assert CourseSession.objects.count() == 1


def test_a_morning_and_an_afternoon_on_the_same_date_clash(helen, conflict, deescalation):
    make_session_on(day(2037, 3, 3, (9, 0), (12, 0)), course=conflict, trainer=helen)
    afternoon = make_session_on(day(2037, 3, 3, (13, 30), (16, 30)), course=deescalation)

    with pytest.raises(ValidationError):
        assign(afternoon, helen)


def test_a_multi_day_session_clashes_on_any_of_its_days(helen, conflict, deescalation, ipswich):
    three_days = make_session_on(
        day(2037, 3, 2), day(2037, 3, 3), day(2037, 3, 4), course=deescalation, venue=ipswich, trainer=helen
    )
    tuesday = make_session_on(day(2037, 3, 3), course=conflict)
    wednesday_to_friday = make_session_on(day(2037, 3, 4), day(2037, 3, 5), day(2037, 3, 6), course=conflict)

    with pytest.raises(ValidationError) as exc:
        assign(tuesday, helen)
    assert refusal(exc) == ["Helen Ward is already on De-escalation Skills, Ipswich on Tue 3 March 2037."]
    with pytest.raises(ValidationError) as exc:
        assign(wednesday_to_friday, helen)
    assert refusal(exc) == ["Helen Ward is already on De-escalation Skills, Ipswich on Wed 4 March 2037."]

    # Both ways round: the long session cannot be given to a trainer already on one of its days.
    sam = make_trainer("Sam Cole", courses=[conflict, deescalation])
    assign(tuesday, sam)
    with pytest.raises(ValidationError) as exc:
        assign(three_days, sam)
    assert refusal(exc) == [f"Sam Cole is already on Conflict Resolution, {tuesday.venue.town} on Tue 3 March 2037."]


def test_several_clashing_days_are_all_named(helen, conflict, deescalation, ipswich):
    make_session_on(day(2037, 3, 3), day(2037, 3, 4), course=conflict, venue=ipswich, trainer=helen)
    other = make_session_on(day(2037, 3, 3), day(2037, 3, 4), course=deescalation)
    with pytest.raises(ValidationError) as exc:
        assign(other, helen)
    assert refusal(exc) == [
        "Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037 and Wed 4 March 2037."
    ]


def test_in_house_sessions_count_and_are_named_so(helen, conflict, deescalation, ipswich):
    make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen, is_in_house=True)
    public = make_session_on(day(2037, 3, 3), course=deescalation)
    with pytest.raises(ValidationError) as exc:
        assign(public, helen)
    assert refusal(exc) == ["Helen Ward is already on Conflict Resolution, Ipswich (in-house) on Tue 3 March 2037."]


def test_consecutive_days_do_not_clash(helen, conflict, deescalation):
    make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)
    wednesday = make_session_on(day(2037, 3, 4), course=deescalation)
    assert assign(wednesday, helen).trainer == helen


def test_days_are_uk_dates_across_midnight_utc(helen, conflict, deescalation):
    # 00:30 on Wed 10 June 2037 in London (BST) is 23:30 on the 9th in UTC: it is the 10th here.
    make_session_on((london(2037, 6, 10, 0, 30), london(2037, 6, 10, 4, 0)), course=conflict, trainer=helen)
    tuesday_evening = make_session_on((london(2037, 6, 9, 18, 0), london(2037, 6, 9, 22, 0)), course=deescalation)
    wednesday = make_session_on(day(2037, 6, 10), course=deescalation)

    assert assign(tuesday_evening, helen).trainer == helen
    with pytest.raises(ValidationError) as exc:
        assign(wednesday, helen)
    assert "on Wed 10 June 2037." in refusal(exc)[0]


def test_cancelled_sessions_do_not_count(helen, conflict, deescalation):
    first = make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)
    booking_services.session_cancel(session=first, reason="Venue flooded")
    second = make_session_on(day(2037, 3, 3), course=deescalation)
    assert assign(second, helen).trainer == helen


def test_a_cancelled_session_takes_no_trainer(helen, conflict):
    session = make_session_on(day(2037, 3, 3), course=conflict)
    booking_services.session_cancel(session=session)
    with pytest.raises(ValidationError) as exc:
        assign(session, helen)
    assert refusal(exc) == ["This session is cancelled: it needs no trainer."]


# ---------------------------------------------------------------------------------------------
# The session itself, and taking a trainer off


def test_assigning_again_to_the_same_session_is_fine(helen, conflict):
    session = make_session_on(day(2037, 3, 2), day(2037, 3, 3), course=conflict, trainer=helen)
    assert assign(session, helen).trainer == helen


def test_moving_a_session_within_its_own_days_is_fine(helen, conflict):
    session = make_session_on(day(2037, 3, 2), day(2037, 3, 3), course=conflict, trainer=helen)
    # Its own days never clash with themselves: the new days overlap the old ones.
    services.trainer_check_free(
        trainer=helen, days=[day(2037, 3, 3), day(2037, 3, 4)], course=conflict, exclude_session=session
    )
    with pytest.raises(ValidationError):
        services.trainer_check_free(trainer=helen, days=[day(2037, 3, 3)], course=conflict)


def test_none_takes_the_trainer_off(helen, conflict, deescalation):
    first = make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)
    assert assign(first, None).trainer is None
    first.refresh_from_db()
    assert first.trainer is None
    # The day is free again.
    assert assign(make_session_on(day(2037, 3, 3), course=deescalation), helen).trainer == helen


# ---------------------------------------------------------------------------------------------
# Days away, courses, inactive trainers


def test_a_day_away_is_refused_with_the_reason(helen, conflict):
    TrainerUnavailability.objects.create(
        trainer=helen, starts_on=date(2037, 3, 2), ends_on=date(2037, 3, 6), reason="annual leave"
    )
    session = make_session_on(day(2037, 3, 3), course=conflict)
    with pytest.raises(ValidationError) as exc:
        assign(session, helen)
    assert refusal(exc) == ["Helen Ward is unavailable on Tue 3 March 2037 (annual leave)."]


def test_days_away_are_inclusive_at_both_ends_and_no_further(helen, conflict):
    TrainerUnavailability.objects.create(trainer=helen, starts_on=date(2037, 3, 3), ends_on=date(2037, 3, 4))
    with pytest.raises(ValidationError) as exc:
        make_session_on(day(2037, 3, 4), day(2037, 3, 5), course=conflict, trainer=helen)
    assert refusal(exc) == ["Helen Ward is unavailable on Wed 4 March 2037."]
    with pytest.raises(ValidationError):
        make_session_on(day(2037, 3, 2), day(2037, 3, 3), course=conflict, trainer=helen)
    assert make_session_on(day(2037, 3, 2), course=conflict, trainer=helen).trainer == helen
    assert make_session_on(day(2037, 3, 5), course=conflict, trainer=helen).trainer == helen


def test_a_course_the_trainer_does_not_deliver_is_refused(conflict):
    helen = make_trainer("Helen Ward", courses=[conflict])
    session = make_session_on(day(2037, 3, 3), course=CourseFactory(title="De-escalation Skills"))
    with pytest.raises(ValidationError) as exc:
        assign(session, helen)
    assert refusal(exc) == ["Helen Ward is not set up to deliver De-escalation Skills."]


def test_an_inactive_trainer_is_refused(conflict):
    gone = make_trainer("Helen Ward", courses=[conflict], is_active=False)
    with pytest.raises(ValidationError) as exc:
        make_session_on(day(2037, 3, 3), course=conflict, trainer=gone)
    assert refusal(exc) == ["Helen Ward is no longer active. Choose another trainer."]
    assert not CourseSession.objects.exists()


def test_every_reason_is_given_at_once(helen, conflict, ipswich):
    make_session_on(day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)
    TrainerUnavailability.objects.create(trainer=helen, starts_on=date(2037, 3, 4), ends_on=date(2037, 3, 4))
    other = make_session_on(day(2037, 3, 3), day(2037, 3, 4), course=CourseFactory(title="Lone Worker Safety"))
    with pytest.raises(ValidationError) as exc:
        assign(other, helen)
    assert refusal(exc) == [
        "Helen Ward is not set up to deliver Lone Worker Safety.",
        "Helen Ward is already on Conflict Resolution, Ipswich on Tue 3 March 2037.",
        "Helen Ward is unavailable on Wed 4 March 2037.",
    ]


def test_other_trainers_do_not_get_in_the_way(helen, conflict, deescalation):
    make_session_on(day(2037, 3, 3), course=conflict, trainer=make_trainer("Sam Cole", courses=[conflict]))
    assert make_session_on(day(2037, 3, 3), course=conflict, trainer=helen).trainer == helen


# ---------------------------------------------------------------------------------------------
# Adding days away


def test_days_away_over_a_session_are_refused_naming_it(helen, conflict, ipswich):
    make_session_on(day(2037, 3, 3), day(2037, 3, 4), course=conflict, venue=ipswich, trainer=helen)
    with pytest.raises(ValidationError) as exc:
        services.trainer_unavailability_add(
            trainer=helen, starts_on=date(2037, 3, 1), ends_on=date(2037, 3, 3), reason="annual leave"
        )
    assert exc.value.message_dict["starts_on"] == [
        "Helen Ward is on Conflict Resolution, Ipswich on Tue 3 March 2037. "
        "Give those sessions another trainer first, or choose other days."
    ]
    assert not TrainerUnavailability.objects.exists()


def test_days_away_around_sessions_are_fine(helen, conflict):
    make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)
    cancelled = make_session_on(day(2037, 3, 5), course=conflict, trainer=helen)
    booking_services.session_cancel(session=cancelled)
    period = services.trainer_unavailability_add(
        trainer=helen, starts_on=date(2037, 3, 4), ends_on=date(2037, 3, 6), reason="training course"
    )
    assert (period.starts_on, period.ends_on) == (date(2037, 3, 4), date(2037, 3, 6))


def test_days_away_must_not_end_before_they_start(helen):
    with pytest.raises(ValidationError) as exc:
        services.trainer_unavailability_add(trainer=helen, starts_on=date(2037, 3, 4), ends_on=date(2037, 3, 3))
    assert "The last day cannot be before the first." in exc.value.messages


# ---------------------------------------------------------------------------------------------
# The lock


def test_another_service_checks_inside_its_own_transaction(helen, conflict):
    """How the in-house work uses the rule: lock, check, save, in one transaction."""
    venue = VenueFactory()
    with transaction.atomic():
        trainer = services.trainer_lock(helen)
        services.trainer_check_free(trainer=trainer, days=[day(2037, 3, 3)], course=conflict)
        session = booking_services.session_create(
            course=conflict, venue=venue, days=[day(2037, 3, 3)], capacity=12, trainer=trainer, is_in_house=True
        )
    assert (session.trainer, session.is_in_house) == (helen, True)


# ---------------------------------------------------------------------------------------------
# What the office reads


def test_upcoming_days_from_now_public_and_in_house_not_cancelled(helen, conflict, ipswich):
    from trainers.selectors import trainer_list, trainer_upcoming_days

    public = make_session_on(day(2037, 3, 2), day(2037, 3, 3), course=conflict, venue=ipswich, trainer=helen)
    in_house = make_session_on(day(2037, 3, 5), course=conflict, trainer=helen, is_in_house=True)
    cancelled = make_session_on(day(2037, 3, 6), course=conflict, trainer=helen)
    booking_services.session_cancel(session=cancelled)
    make_session_on(day(2037, 3, 4), course=conflict)  # someone else's

    # Halfway through the first day: that day is still under way, so it counts.
    now = london(2037, 3, 2, 12, 0)
    days = list(trainer_upcoming_days(helen, now=now))
    assert [(d.session, timezone.localdate(d.starts_at)) for d in days] == [
        (public, date(2037, 3, 2)),
        (public, date(2037, 3, 3)),
        (in_house, date(2037, 3, 5)),
    ]
    assert (days[0].session.venue.place, days[2].session.is_in_house) == ("Ipswich", True)
    assert list(trainer_upcoming_days(helen, now=london(2037, 3, 4))) == days[2:]
    assert trainer_list(now=now).get(pk=helen.pk).next_day_at == london(2037, 3, 2)
    assert trainer_list(now=london(2037, 3, 7)).get(pk=helen.pk).next_day_at is None
