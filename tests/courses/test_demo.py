import pytest
from django.core.management import call_command

from courses.models import Course, Sector, Testimonial

pytestmark = pytest.mark.django_db


def test_demo_catalogue_loads_once_and_again_adds_nothing():
    call_command("load_demo", "--no-user")
    counts = (Sector.objects.count(), Course.objects.count(), Testimonial.objects.count())
    call_command("load_demo", "--no-user")
    assert (Sector.objects.count(), Course.objects.count(), Testimonial.objects.count()) == counts
    assert list(Sector.objects.values_list("name", flat=True)) == [
        "Education & Further Learning",
        "Facilities",
        "Retail & Leisure",
        "Health & Social Care",
        "Local Authority & Housing",
        "NHS",
        "Transport",
    ]
    assert counts[1] >= 10
    conflict = Course.objects.get(slug="conflict-resolution")
    assert conflict.duration_label == "Half day"
    assert "Core Skills Training Framework" in conflict.summary
    physical = Course.objects.get(slug="physical-intervention")
    assert physical.duration_label == "3 days"
    assert physical.rrn_certified
    assert Testimonial.objects.filter(attribution_role__icontains="emergency department nurse").exists()


def test_demo_user_is_created_once_and_login_printed(capsys):
    from django.contrib.auth import get_user_model

    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff
    assert out.count("username demo, password demo-staff-password") == 2
    assert get_user_model().objects.filter(username="demo").count() == 1
