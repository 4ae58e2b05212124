from decimal import Decimal

import factory

from courses.models import Course, Sector, Testimonial


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector

    name = factory.Sequence(lambda n: f"Sector {n}")
    slug = factory.Sequence(lambda n: f"sector-{n}")
    summary = factory.Faker("sentence")
    introduction = factory.Faker("paragraph")
    display_order = factory.Sequence(lambda n: n)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = factory.Faker("sentence")
    description = factory.Faker("paragraph")
    learning_outcomes = "Recognise warning signs\nUse calming words"
    audience = "Front-line staff"
    duration_days = Decimal("1")
    price = Decimal("145.00")
    is_published = True

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class TestimonialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Testimonial

    quote = factory.Faker("sentence")
    attribution_role = "Ward manager"
    attribution_organisation = "an NHS trust"
