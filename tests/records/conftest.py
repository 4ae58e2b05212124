import pytest


@pytest.fixture
def completed_course():
    """A course with a 12-month certificate, RRN certified."""
    from tests.factories import CourseFactory

    return CourseFactory(title="Conflict Resolution", certificate_validity_months=12, rrn_certified=True, cpd_hours=6)
