"""Feedback in the admin: the results by course, trainer and session; the quotes awaiting
moderation; publishing one as a testimonial (staff who may add testimonials) and what a Sales
user, who may only read feedback, can and cannot do."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from courses.models import Testimonial
from records.models import Attribution, Feedback, Moderation
from records.services.feedback import feedback_submit
from tests.factories import CourseFactory, SectorFactory

from .feedback_setup import answers, completed_session, make_trainer

pytestmark = pytest.mark.django_db

LIST = reverse("admin:records_feedback_changelist")
RESULTS = reverse("admin:records_feedback_results")


def staff(django_user_model, username, *perms, sales=False):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if sales:
        user.groups.add(Group.objects.get_or_create(name="Sales")[0])
    return user


@pytest.fixture
def moderator(client, django_user_model):
    client.force_login(staff(django_user_model, "mo", "records.view_feedback", "courses.add_testimonial"))
    return client


@pytest.fixture
def sales(client, django_user_model):
    # The Sales group reads feedback and its results; it cannot put words on the public site.
    client.force_login(staff(django_user_model, "sam", "records.view_feedback", sales=True))
    return client


@pytest.fixture
def data():
    """Two courses and two trainers: De-escalation with Jo (2 responses) and with Kim (1); Breakaway with Kim (1)."""
    nhs = SectorFactory(name="NHS", slug="nhs")
    de_escalation = CourseFactory(title="De-escalation Skills", sectors=[nhs])
    breakaway = CourseFactory(title="Breakaway")
    jo, kim = make_trainer(de_escalation, "Jo Trainer"), make_trainer(de_escalation, "Kim Trainer")
    kim.courses.add(breakaway)
    give = {}
    _s, (a, b) = completed_session(course=de_escalation, trainer=jo, people=2)
    give["a"] = feedback_submit(
        delegate=a,
        **answers(
            content_rating=5, trainer_rating=5, relevance_rating=4, comment="Calm and practical.", may_quote=True
        ),
        attribution=Attribution.NAME_AND_ROLE,
        attribution_role="Ward manager",
    )
    give["b"] = feedback_submit(delegate=b, **answers(content_rating=3, trainer_rating=4, relevance_rating=2))
    _s, (c,) = completed_session(course=de_escalation, trainer=kim)
    give["c"] = feedback_submit(delegate=c, **answers(content_rating=4, trainer_rating=2, relevance_rating=3))
    _s, (d,) = completed_session(course=breakaway, trainer=kim)
    give["d"] = feedback_submit(
        delegate=d, **answers(content_rating=1, trainer_rating=1, relevance_rating=1, comment="No.", may_quote=True)
    )
    return give


def table(page, table_id):
    """{row heading: [cells]} of one results table."""
    html = page.split(f'<table id="{table_id}">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>", 1)[1], flags=re.S):
        heading = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row, flags=re.S).group(1)).strip()
        rows[heading] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    return rows


def test_the_results_by_course_trainer_and_session(sales, data):
    page = sales.get(RESULTS).content.decode()
    # Responses, content, trainer, relevance, overall.
    assert table(page, "by-course") == {
        # (5+3+4)/3 = 4.0, (5+4+2)/3 = 3.7, (4+2+3)/3 = 3.0; overall (4 + 3.67 + 3) / 3 = 3.6
        "Breakaway": ["1", "1.0", "1.0", "1.0", "1.0"],
        "De-escalation Skills": ["3", "4.0", "3.7", "3.0", "3.6"],
    }
    assert table(page, "by-trainer") == {
        "Jo Trainer": ["2", "4.0", "4.5", "3.0", "3.8"],
        "Kim Trainer": ["2", "2.5", "1.5", "2.0", "2.0"],
    }
    sessions = table(page, "by-session")
    assert sorted(cells[0] for cells in sessions.values()) == ["1", "1", "2"]
    assert any(
        heading.startswith("De-escalation Skills, ") and heading.endswith("(Jo Trainer)") for heading in sessions
    )
    # (14 + 9 + 9 + 3) / 12 = 2.92
    assert '4 responses in all, overall <strong data-figure="overall">2.9</strong>' in page


def test_the_list_shows_the_ratings_and_links_to_results_and_the_moderation_list(sales, data):
    page = sales.get(LIST).content.decode()
    assert "Quotes awaiting moderation (2)" in page and f'href="{RESULTS}"' in page
    assert "4.7" in page  # a's average: 14 / 3
    pending = sales.get(LIST + "?moderation=pending").content.decode()
    assert re.search(r"2 feedback\s*</p>", pending) and re.search(r"4 feedback\s*</p>", page)


def test_a_moderator_publishes_a_quote_from_its_page_with_trimmed_words(moderator, data, client):
    feedback = data["a"]
    change = reverse("admin:records_feedback_change", args=[feedback.pk])
    page = moderator.get(change).content.decode()
    publish = reverse("admin:records_feedback_publish", args=[feedback.pk])
    assert f'href="{publish}"' in page and "Decline" in page

    form = moderator.get(publish).content.decode()
    assert "Calm and practical.</textarea>" in form
    nhs = feedback.course.sectors.get()
    assert re.search(rf'<option value="{nhs.pk}" selected>NHS</option>', form)  # the NHS trust's sector

    response = moderator.post(publish, {"quote": "Calm, practical.", "sector": nhs.pk})
    assert response.status_code == 302
    testimonial = Testimonial.objects.get()
    assert (testimonial.quote, testimonial.attribution_role, testimonial.sector) == (
        "Calm, practical.",
        "Delegate 0, Ward manager",
        nhs,
    )
    feedback.refresh_from_db()
    assert feedback.moderation == Moderation.PUBLISHED
    assert "Calm, practical." in client.get(feedback.course.get_absolute_url()).content.decode()
    # Published: nothing to publish or decline any more.
    assert moderator.get(publish).status_code == 302
    assert moderator.post(reverse("admin:records_feedback_decline", args=[feedback.pk])).status_code == 302
    feedback.refresh_from_db()
    assert feedback.moderation == Moderation.PUBLISHED


def test_the_publish_action_publishes_the_chosen_quotes_with_their_default_sectors(moderator, data):
    chosen = [data["a"].pk, data["b"].pk, data["d"].pk]  # b offered no quote
    page = moderator.post(LIST, {"action": "publish", "_selected_action": chosen})
    assert page.status_code == 200 and "Publish quotes as testimonials" in page.content.decode()
    response = moderator.post(LIST, {"action": "publish", "_selected_action": chosen, "post": "yes", "sector": ""})
    assert response.status_code == 302
    assert {(t.course.title, t.sector.slug if t.sector else None) for t in Testimonial.objects.all()} == {
        ("De-escalation Skills", "nhs"),
        ("Breakaway", None),
    }
    assert Feedback.objects.get(pk=data["b"].pk).moderation == Moderation.NOT_QUOTABLE


def test_the_decline_action(moderator, data):
    moderator.post(LIST, {"action": "decline", "_selected_action": [data["d"].pk]})
    assert Feedback.objects.get(pk=data["d"].pk).moderation == Moderation.DECLINED
    assert not Testimonial.objects.exists()


def test_a_sales_user_sees_results_but_cannot_publish_or_decline(sales, data):
    feedback = data["a"]
    page = sales.get(reverse("admin:records_feedback_change", args=[feedback.pk])).content.decode()
    assert "Calm and practical." in page
    assert "Publish as testimonial" not in page and ">Decline<" not in page
    assert 'value="publish"' not in sales.get(LIST).content.decode()
    assert sales.get(reverse("admin:records_feedback_publish", args=[feedback.pk])).status_code == 403
    publish = reverse("admin:records_feedback_publish", args=[feedback.pk])
    assert sales.post(publish, {"quote": "Calm.", "sector": ""}).status_code == 403
    assert sales.post(reverse("admin:records_feedback_decline", args=[feedback.pk])).status_code == 403
    sales.post(LIST, {"action": "publish", "_selected_action": [feedback.pk], "post": "yes", "sector": ""})
    assert not Testimonial.objects.exists()
    assert Feedback.objects.get(pk=feedback.pk).moderation == Moderation.PENDING


def test_staff_without_the_feedback_permission_see_nothing(client, django_user_model, data):
    client.force_login(staff(django_user_model, "pat", "courses.add_testimonial"))
    assert client.get(RESULTS).status_code == 403
    assert client.get(LIST).status_code == 403
