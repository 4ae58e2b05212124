"""The demo sector programmes: complementary courses in order, each with the reason it is there.

Loaded by courses.demo.load_catalogue after the sectors and courses. Each programme is matched on
its sector and title and its lines are replaced, so loading twice changes nothing.
"""

from .models import Course, Programme, ProgrammeCourse, Sector

PROGRAMMES = [
    {
        "sector": "nhs",
        "title": "A programme for NHS wards",
        "introduction": "One course is rarely enough. Ward teams who train together in these four steps "
        "recognise trouble earlier, calm more of it with words, and know what to do when words fail.",
        "lines": [
            ("conflict-resolution", "The shared basics every member of the ward team needs, aligned to the CSTF."),
            (
                "de-escalation-skills",
                "Practice in calming an angry or frightened patient or relative before harm is done.",
            ),
            (
                "managing-challenging-behaviour",
                "Understanding why a patient behaves as they do, so staff respond to the cause.",
            ),
            ("breakaway-and-personal-safety", "Safe ways to get free and get away when de-escalation has not worked."),
        ],
    },
    {
        "sector": "retail-leisure",
        "title": "A programme for shop floor teams",
        "introduction": "For stores where staff face abuse and theft: from the first refusal to the moment "
        "it is safer to step away.",
        "lines": [
            ("conflict-resolution", "A common language for the whole team about how conflict starts and grows."),
            (
                "threat-identification-dynamic-risk-assessment",
                "Spotting the signs of danger early and deciding when to step back.",
            ),
            (
                "conflict-management-retail",
                "Refusals, suspected shoplifters and complaints, practised on a shop floor.",
            ),
            ("de-escalation-skills", "Calming intoxicated or angry customers without making things worse."),
        ],
    },
]


def load_programmes():
    """Create or update the demo programmes (published); returns how many were created."""
    created = 0
    for order, data in enumerate(PROGRAMMES, start=1):
        programme, was_created = Programme.objects.update_or_create(
            sector=Sector.objects.get(slug=data["sector"]),
            title=data["title"],
            defaults={"introduction": data["introduction"], "display_order": order, "is_published": True},
        )
        programme.lines.all().delete()
        for position, (slug, why) in enumerate(data["lines"], start=1):
            ProgrammeCourse.objects.create(
                programme=programme, course=Course.objects.get(slug=slug), position=position, why=why
            )
        created += was_created
    return created
