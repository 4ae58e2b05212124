"""Who can do what in the admin. The "Sales" group (made by a migration) works leads, reads the
catalogue and bookings, and deletes nothing; staff outside it and anonymous visitors reach no
lead data."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from enquiries import services
from enquiries.models import Lead, LeadActivity, LeadStatus
from tests.factories import CourseFactory, SectorFactory, make_booking, make_session

pytestmark = pytest.mark.django_db

User = get_user_model()

LEADS = reverse("admin:enquiries_lead_changelist")


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def action_names(response):
    form = response.context["action_form"]
    return [name for name, _label in form.fields["action"].choices if name] if form else []


@pytest.fixture
def sales_user():
    user = User.objects.create_user("sam", email="sam@example.com", first_name="Sam", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    return user


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client


@pytest.fixture
def lead(settings):
    settings.LEADS_ROUND_ROBIN = False
    return services.enquiry_submit(
        data={
            "name": "Priya Shah",
            "organisation": "Stourside Housing",
            "email": "priya.shah@example.org",
            "phone": "01473 555012",
            "message": "Training for 12 housing officers.",
        }
    )


@pytest.fixture
def catalogue():
    course = CourseFactory(title="De-escalation Skills")
    session = make_session(course=course, capacity=8)
    booking = make_booking(session, count=1)
    return {"course": course, "sector": SectorFactory(), "session": session, "booking": booking}


def test_the_sales_group_has_exactly_what_the_work_needs():
    codenames = set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))
    assert {"view_lead", "change_lead", "export_lead", "view_course", "view_booking"} <= codenames
    assert not {name for name in codenames if name.startswith("delete_")}
    assert not {"change_course", "add_course", "change_booking", "change_coursesession"} & codenames


# A sales user ---------------------------------------------------------------------------------------


def test_sales_staff_work_leads(sales_client, sales_user, lead):
    response = sales_client.get(LEADS, follow=True)
    assert response.status_code == 200
    page = sales_client.get(f"{LEADS}?owner=none")
    assert list(page.context["cl"].result_list) == [lead]
    assert {"assign_to_me", "assign_to", "mark_contacted", "mark_lost", "export_csv", "export_personal_data"} <= set(
        action_names(page)
    )
    assert sales_client.get(url("enquiries_lead_change", lead.pk)).status_code == 200
    assert sales_client.get(url("enquiries_lead_dashboard")).status_code == 200

    sales_client.post(LEADS + "?owner=none", {"action": "assign_to_me", "_selected_action": [lead.pk]})
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = sales_client.post(
        url("enquiries_lead_work", lead.pk, "call"),
        {"call-outcome": "spoke", "call-next_action": "Send the quote", "call-due_at": tomorrow},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.owner, lead.status) == (sales_user, LeadStatus.CONTACTED)
    assert lead.activities.filter(kind=LeadActivity.Kind.CALL, author=sales_user).exists()


def test_sales_staff_can_read_but_not_change_or_add_courses(sales_client, catalogue):
    course, sector = catalogue["course"], catalogue["sector"]
    assert sales_client.get(url("courses_course_changelist")).status_code == 200
    page = sales_client.get(url("courses_course_change", course.pk))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # shown read-only
    response = sales_client.post(url("courses_course_change", course.pk), {"title": "Renamed", "slug": course.slug})
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.title == "De-escalation Skills"
    assert sales_client.get(url("courses_course_add")).status_code == 403
    assert sales_client.post(url("courses_sector_change", sector.pk), {"name": "Renamed"}).status_code == 403


def test_sales_staff_can_view_but_not_change_bookings_or_sessions(sales_client, catalogue):
    booking, session = catalogue["booking"], catalogue["session"]
    assert sales_client.get(url("booking_booking_changelist")).status_code == 200
    assert sales_client.get(url("booking_booking_change", booking.pk)).status_code == 200
    response = sales_client.post(url("booking_booking_change", booking.pk), {"notes": "Changed by sales"})
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.notes == ""
    assert sales_client.get(url("booking_coursesession_change", session.pk)).status_code == 200
    assert sales_client.post(url("booking_coursesession_change", session.pk), {"capacity": "20"}).status_code == 403
    # A booking action that changes things is not offered.
    assert "cancel_bookings" not in action_names(sales_client.get(url("booking_booking_changelist")))


def test_sales_staff_delete_nothing(sales_client, lead, catalogue):
    subscriber = services.newsletter_subscribe(email="reader@example.org").subscriber
    for name, obj in [
        ("enquiries_lead", lead),
        ("enquiries_newslettersubscriber", subscriber),
        ("courses_course", catalogue["course"]),
        ("courses_sector", catalogue["sector"]),
        ("booking_booking", catalogue["booking"]),
        ("booking_coursesession", catalogue["session"]),
    ]:
        assert sales_client.get(url(f"{name}_delete", obj.pk)).status_code == 403, name
        assert sales_client.post(url(f"{name}_delete", obj.pk), {"post": "yes"}).status_code == 403, name
        changelist = sales_client.get(url(f"{name}_changelist") + ("?owner=all" if name == "enquiries_lead" else ""))
        assert "delete_selected" not in action_names(changelist), name
    # Asking for the bulk delete anyway does nothing.
    sales_client.post(f"{LEADS}?owner=all", {"action": "delete_selected", "_selected_action": [lead.pk], "post": "yes"})
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_sales_staff_see_the_round_robin_but_do_not_change_it(sales_client, sales_user, settings):
    settings.LEADS_ROUND_ROBIN = True
    services.enquiry_submit(data={"name": "A", "email": "a@example.org"})
    person = sales_user.sales_profile
    assert sales_client.get(url("enquiries_salesperson_changelist")).status_code == 200
    response = sales_client.post(url("enquiries_salesperson_change", person.pk), {"takes_new_leads": ""})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.takes_new_leads


def test_only_staff_allowed_to_add_leads_can_add_them_by_hand(sales_client, client):
    # Phone-in enquiries: the Sales group adds leads (through the arrival rules, see
    # test_admin_desk.py); staff without add_lead get no add page.
    assert sales_client.get(url("enquiries_lead_add")).status_code == 200
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    assert client.get(url("enquiries_lead_add")).status_code == 403
    assert client.post(url("enquiries_lead_add"), {"name": "X", "phone": "01473 555 321"}).status_code == 403
    assert not Lead.objects.filter(name="X").exists()


# Everyone else --------------------------------------------------------------------------------------


def lead_urls(lead):
    return [
        LEADS,
        f"{LEADS}?owner=all&state=all",
        url("enquiries_lead_change", lead.pk),
        url("enquiries_lead_dashboard"),
        url("enquiries_lead_export") + "?owner=all&state=all",
        url("enquiries_lead_history", lead.pk),
        url("enquiries_newslettersubscriber_changelist"),
    ]


def test_anonymous_visitors_are_sent_to_login_and_see_no_lead_data(client, lead):
    for address in lead_urls(lead):
        response = client.get(address, follow=True)
        assert response.redirect_chain[0][1] == 302, address
        assert "/admin/login/" in response.redirect_chain[0][0], address
        html = response.content.decode()
        assert lead.reference not in html and "Priya Shah" not in html and "Stourside" not in html, address
    response = client.post(url("enquiries_lead_work", lead.pk, "status"), {"status-status": "won"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(f"{LEADS}?owner=all", {"action": "export_personal_data", "_selected_action": [lead.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_staff_outside_the_sales_group_are_refused(client, lead):
    client.force_login(User.objects.create_user("finance", is_staff=True))
    for address in lead_urls(lead):
        response = client.get(address)
        assert response.status_code == 403, address
        assert lead.reference not in response.content.decode()
    response = client.post(url("enquiries_lead_work", lead.pk, "note"), {"note-text": "Hello"})
    assert response.status_code == 403
    response = client.post(f"{LEADS}?owner=all", {"action": "export_csv", "_selected_action": [lead.pk]})
    assert response.status_code == 403
    assert not lead.activities.filter(kind=LeadActivity.Kind.NOTE).exists()
    index = client.get(reverse("admin:index")).content.decode()
    assert "Leads" not in index


def test_view_only_staff_see_leads_but_cannot_work_or_export_them(client, lead):
    user = User.objects.create_user("auditor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(user)
    page = client.get(f"{LEADS}?owner=all")
    assert list(page.context["cl"].result_list) == [lead]
    # Actions check their permissions: with none of change or export, none is offered.
    assert page.context["action_form"] is None
    assert "Export this list" not in page.content.decode()
    html = client.get(url("enquiries_lead_change", lead.pk)).content.decode()
    assert "Log a call" not in html and 'name="email"' not in html
    assert client.post(url("enquiries_lead_work", lead.pk, "status"), {"status-status": "won"}).status_code == 403
    assert client.get(url("enquiries_lead_export")).status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
