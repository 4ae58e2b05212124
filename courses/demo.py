"""The demo catalogue: the provider's seven sectors, its core courses, a few testimonials and
sector programmes (courses/demo_programmes.py).

Loaded by `manage.py load_demo`. Every row is matched on its slug (or quote), so loading
twice changes nothing. People and organisations here are invented.
"""

from decimal import Decimal

from django.db import transaction

from .demo_programmes import load_programmes
from .models import Course, Sector, Testimonial

SECTORS = [
    (
        "Education & Further Learning",
        "education",
        "Keeping staff and learners safe in schools, colleges and universities.",
        "Teachers, support staff and student services teams meet distress and aggression more often "
        "than most people realise. Our programme helps staff read the warning signs early, calm "
        "situations with words first, and keep themselves and learners safe when they cannot.\n\n"
        "We combine de-escalation, managing challenging behaviour and, where policy allows, "
        "positive handling, so every member of staff knows what to do and when.",
    ),
    (
        "Facilities",
        "facilities",
        "Front-of-house, security and facilities teams who manage the public every day.",
        "Reception, security, cleaning and maintenance staff are often the first to meet an angry "
        "visitor. We train them to spot trouble early, defuse it, and report it well.",
    ),
    (
        "Retail & Leisure",
        "retail-leisure",
        "Shop floor, security and leisure staff facing abuse, theft and aggression.",
        "Abuse of shop workers has never been higher. Our retail and leisure courses teach staff to "
        "handle refusals, shoplifters and intoxicated customers without escalating, and to know "
        "when to step away.",
    ),
    (
        "Health & Social Care",
        "health-social-care",
        "Care homes, domiciliary care and supported living, where behaviour has a reason.",
        "In care settings, challenging behaviour is usually communication. Our programme pairs "
        "person-centred de-escalation with safe breakaway and, where needed, RRN-certified "
        "restrictive practice training.",
    ),
    (
        "Local Authority & Housing",
        "local-authority-housing",
        "Housing officers, council front desks and community teams, often working alone.",
        "Council and housing staff deliver hard news, visit homes alone and meet people at their "
        "worst moments. We build conflict resolution, lone worker safety and dynamic risk "
        "assessment into one practical programme.",
    ),
    (
        "NHS",
        "nhs",
        "Wards, emergency departments and community teams, aligned to the Core Skills Training Framework.",
        "De-escalation training alone is not enough. NHS staff need a comprehensive programme: "
        "threat identification, conflict resolution aligned to the Core Skills Training Framework, "
        "managing challenging behaviour, breakaway, and RRN-certified physical intervention where "
        "restrictive practices are used.\n\n"
        "We train ward teams, emergency departments and community staff on open courses or in-house, "
        "at times that fit around shifts.",
    ),
    (
        "Transport",
        "transport",
        "Bus, rail and station staff dealing with passengers under pressure.",
        "Delays, fares and crowds put transport staff in the line of fire. Our courses are built "
        "around real incidents on platforms, buses and concourses.",
    ),
]

ALL = [slug for _name, slug, _summary, _intro in SECTORS]

COURSES = [
    {
        "slug": "conflict-resolution",
        "title": "Conflict Resolution",
        "summary": "The essentials of recognising and calming conflict, aligned to the NHS Core Skills Training Framework.",
        "description": "A practical half-day course covering the causes of conflict, the stages of escalation, "
        "communication that calms, and how to report incidents.\n\nAligned to the conflict resolution "
        "subject of the NHS Core Skills Training Framework (CSTF).",
        "outcomes": "Explain common causes of conflict\nRecognise warning signs and stages of escalation\n"
        "Use verbal and non-verbal communication to calm a situation\nKnow when and how to withdraw\n"
        "Report and learn from incidents",
        "audience": "Anyone who deals with patients, the public or customers, including NHS staff completing CSTF training.",
        "days": "0.5",
        "price": "95.00",
        "cpd": "3.0",
        "validity": 36,
        "sectors": ALL,
        "featured": True,
        "virtual": True,
    },
    {
        "slug": "de-escalation-skills",
        "title": "De-escalation Skills",
        "summary": "Verbal and non-verbal techniques to calm angry or distressed people before harm is done.",
        "description": "A one-day, highly practical course built around scenarios from your own sector. Delegates "
        "practise tone, stance, space and words that lower arousal, and learn why de-escalation works best "
        "as part of a wider programme.",
        "outcomes": "Understand the physiology of anger and fear\nUse calming verbal techniques\n"
        "Read and use body language, space and positioning\nPlan exits and team responses\n"
        "Debrief after an incident",
        "audience": "Front-line staff in health, care, education, housing, retail and transport.",
        "days": "1",
        "price": "145.00",
        "cpd": "6.0",
        "validity": 36,
        "sectors": ALL,
        "featured": True,
        "virtual": True,
    },
    {
        "slug": "managing-challenging-behaviour",
        "title": "Managing Challenging Behaviour",
        "summary": "Understand the reasons behind behaviour and respond in ways that prevent escalation.",
        "description": "For staff supporting people whose behaviour challenges: understanding triggers, "
        "person-centred responses, positive behaviour support and recording.",
        "outcomes": "Identify triggers and functions of behaviour\nApply positive behaviour support principles\n"
        "Respond proportionately and safely\nRecord and review incidents",
        "audience": "Care, education and housing staff.",
        "days": "1",
        "price": "145.00",
        "cpd": "6.0",
        "validity": 36,
        "sectors": ["education", "health-social-care", "local-authority-housing", "nhs"],
        "featured": True,
    },
    {
        "slug": "breakaway-and-personal-safety",
        "title": "Breakaway and Personal Safety",
        "summary": "Simple, safe disengagement techniques for when words are not enough.",
        "description": "A one-day course teaching low-risk breakaway techniques from grabs, holds and strikes, "
        "together with personal safety planning and the law on reasonable force.",
        "outcomes": "Apply the law on self-defence and reasonable force\nUse safe breakaway techniques\n"
        "Plan personal safety at work\nReport incidents",
        "audience": "Staff at risk of physical assault, including lone workers.",
        "days": "1",
        "price": "155.00",
        "cpd": "6.0",
        "validity": 12,
        "sectors": ["education", "facilities", "health-social-care", "local-authority-housing", "nhs", "transport"],
        "featured": True,
    },
    {
        "slug": "physical-intervention",
        "title": "Physical Intervention",
        "summary": "Three-day course certified against the RRN Training Standards for services that use restrictive practices.",
        "description": "For services where restrictive practices may be needed as a last resort. Covers prevention, "
        "de-escalation, safe holding, post-incident support and the legal and ethical framework. Certified "
        "against the Restraint Reduction Network (RRN) Training Standards.",
        "outcomes": "Apply the RRN Training Standards' principles of restraint reduction\n"
        "Use de-escalation as the first response\nUse approved holding techniques safely\n"
        "Monitor physical and psychological wellbeing during and after an intervention\nRecord and debrief",
        "audience": "Mental health, learning disability and care staff in services that may use restrictive practices.",
        "days": "3",
        "price": "225.00",
        "cpd": "18.0",
        "validity": 36,
        "rrn": True,
        "award": "Bild ACT certified training",
        "sectors": ["health-social-care", "nhs", "education"],
        "featured": True,
        "in_house": True,
    },
    {
        "slug": "physical-intervention-refresher",
        "title": "Physical Intervention Refresher",
        "summary": "One-day refresher for holders of a current Physical Intervention certificate.",
        "description": "Refreshes techniques and updates knowledge of policy and the RRN Training Standards. "
        "Delegates must hold a current certificate.",
        "outcomes": "Refresh approved holding techniques\nReview changes in policy and guidance\nRenew certification",
        "audience": "Holders of a current Physical Intervention certificate.",
        "days": "1",
        "price": "95.00",
        "cpd": "6.0",
        "validity": 12,
        "rrn": True,
        "award": "Bild ACT certified training",
        "sectors": ["health-social-care", "nhs", "education"],
    },
    {
        "slug": "lone-worker-safety",
        "title": "Lone Worker Safety",
        "summary": "Staying safe when working alone in the community, in homes and out of hours.",
        "description": "Practical safety for community nurses, housing officers, care workers and engineers: "
        "planning visits, reading a doorstep, buddy systems and getting out.",
        "outcomes": "Plan visits and check-ins\nAssess risk on arrival\nUse exit strategies\nUse lone worker devices well",
        "audience": "Community staff, housing officers and anyone who works alone.",
        "days": "1",
        "price": "135.00",
        "cpd": "6.0",
        "sectors": ["health-social-care", "local-authority-housing", "nhs", "facilities"],
        "virtual": True,
    },
    {
        "slug": "conflict-management-transport",
        "title": "Conflict Management for Transport Staff",
        "summary": "Handling fare disputes, delays and anti-social behaviour on buses, trains and stations.",
        "description": "Built around real incidents from bus, rail and station work, including dealing with "
        "intoxicated passengers, fare refusals and crowd pressure.",
        "outcomes": "Handle fare and ticket disputes\nManage passengers during disruption\nRespond to anti-social behaviour\nWork with colleagues and police",
        "audience": "Drivers, guards, revenue protection and station staff.",
        "days": "1",
        "price": "135.00",
        "cpd": "6.0",
        "sectors": ["transport"],
    },
    {
        "slug": "conflict-management-retail",
        "title": "Conflict Management for Retail",
        "summary": "Refusals, shoplifting and abuse on the shop floor, handled without escalation.",
        "description": "For shop floor and security teams: age-restricted refusals, suspected theft, "
        "complaints that turn nasty, and when to step away.",
        "outcomes": "Make refusals calmly\nApproach suspected shoplifters safely\nDefuse complaints\nReport and support colleagues",
        "audience": "Retail and leisure staff, supervisors and security.",
        "days": "1",
        "price": "125.00",
        "cpd": "6.0",
        "sectors": ["retail-leisure", "facilities"],
    },
    {
        "slug": "threat-identification-dynamic-risk-assessment",
        "title": "Threat Identification and Dynamic Risk Assessment",
        "summary": "Spot the signs of danger early and make quick, sound decisions.",
        "description": "A half-day course on reading people and places, recognising pre-attack indicators and "
        "making dynamic risk assessments in the moment.",
        "outcomes": "Recognise pre-attack indicators\nAssess risk in changing situations\nDecide when to leave, stay or call for help",
        "audience": "Anyone working with the public, especially lone and community workers.",
        "days": "0.5",
        "price": "85.00",
        "cpd": "3.0",
        "sectors": ALL,
        "virtual": True,
    },
    {
        "slug": "train-the-trainer-conflict-management",
        "title": "Train the Trainer in Conflict Management",
        "summary": "Qualify your own staff to deliver conflict management training in-house.",
        "description": "A three-day programme for experienced staff who will deliver conflict management "
        "training to colleagues, with materials, assessment and ongoing support.",
        "outcomes": "Plan and deliver conflict management sessions\nAssess learners\nAdapt content to your setting",
        "audience": "Training leads and experienced practitioners.",
        "days": "3",
        "price": "695.00",
        "cpd": "18.0",
        "validity": 24,
        "award": "Professional body quality award",
        "sectors": ALL,
    },
]

RELATED = {
    "conflict-resolution": ["de-escalation-skills", "threat-identification-dynamic-risk-assessment"],
    "de-escalation-skills": ["conflict-resolution", "managing-challenging-behaviour", "breakaway-and-personal-safety"],
    "managing-challenging-behaviour": ["de-escalation-skills", "physical-intervention"],
    "breakaway-and-personal-safety": ["de-escalation-skills", "lone-worker-safety"],
    "physical-intervention": ["physical-intervention-refresher", "de-escalation-skills"],
    "lone-worker-safety": ["threat-identification-dynamic-risk-assessment", "breakaway-and-personal-safety"],
    "conflict-management-transport": ["de-escalation-skills"],
    "conflict-management-retail": ["de-escalation-skills"],
    "train-the-trainer-conflict-management": ["conflict-resolution"],
}

# The shorter course that renews a certificate, where there is one.
REFRESHERS = {"physical-intervention": "physical-intervention-refresher"}

TESTIMONIALS = [
    {
        "quote": "The de-escalation day changed how our whole team approaches a patient in crisis. "
        "Fewer incidents, and staff feel far more confident.",
        "role": "Emergency department nurse",
        "organisation": "an NHS trust in the East of England",
        "course": "de-escalation-skills",
        "sector": "nhs",
    },
    {
        "quote": "Practical, respectful and rooted in real care work. Our managers now use the language every day.",
        "role": "Registered manager",
        "organisation": "a residential care home group",
        "course": "managing-challenging-behaviour",
        "sector": "health-social-care",
    },
    {
        "quote": "Our housing officers visit alone every day. This course gave them a plan for every door they knock on.",
        "role": "Health and safety lead",
        "organisation": "a housing association",
        "course": "lone-worker-safety",
        "sector": "local-authority-housing",
    },
    {
        "quote": "Staff said it was the most useful training they had had in years, and refusals are calmer already.",
        "role": "Store operations manager",
        "organisation": "a regional retailer",
        "course": "conflict-management-retail",
        "sector": "retail-leisure",
    },
    {
        "quote": "Realistic scenarios on platforms and trains. The team came back with ideas we have put into practice.",
        "role": "Station manager",
        "organisation": "a train operating company",
        "course": "conflict-management-transport",
        "sector": "transport",
    },
]


@transaction.atomic
def load_catalogue():
    """Create or update the demo catalogue; returns counts of rows created."""
    created = {"sectors": 0, "courses": 0, "testimonials": 0}
    sectors = {}
    for order, (name, slug, summary, intro) in enumerate(SECTORS, start=1):
        sector, was_created = Sector.objects.update_or_create(
            slug=slug, defaults={"name": name, "summary": summary, "introduction": intro, "display_order": order}
        )
        sectors[slug] = sector
        created["sectors"] += was_created
    courses = {}
    for order, data in enumerate(COURSES, start=1):
        course, was_created = Course.objects.update_or_create(
            slug=data["slug"],
            defaults={
                "title": data["title"],
                "summary": data["summary"],
                "description": data["description"],
                "learning_outcomes": data["outcomes"],
                "audience": data["audience"],
                "duration_days": Decimal(data["days"]),
                "price": Decimal(data["price"]),
                "cpd_hours": Decimal(data["cpd"]),
                "certificate_validity_months": data.get("validity"),
                "rrn_certified": data.get("rrn", False),
                "quality_award": data.get("award", ""),
                "delivery_open": True,
                "delivery_in_house": True,
                "delivery_virtual": data.get("virtual", False),
                "is_published": True,
                "is_featured": data.get("featured", False),
                "display_order": order,
                "seo_title": f"{data['title']} training course",
                "seo_description": data["summary"][:160],
            },
        )
        course.sectors.set([sectors[slug] for slug in data["sectors"]])
        courses[course.slug] = course
        created["courses"] += was_created
    for slug, related in RELATED.items():
        courses[slug].related_courses.add(*[courses[other] for other in related])
    for slug, refresher in REFRESHERS.items():
        Course.objects.filter(pk=courses[slug].pk).update(refresher_course=courses[refresher])
    for order, data in enumerate(TESTIMONIALS, start=1):
        _testimonial, was_created = Testimonial.objects.update_or_create(
            quote=data["quote"],
            defaults={
                "attribution_role": data["role"],
                "attribution_organisation": data["organisation"],
                "course": courses[data["course"]],
                "sector": sectors[data["sector"]],
                "display_order": order,
                "is_published": True,
            },
        )
        created["testimonials"] += was_created
    created["programmes"] = load_programmes()
    return created
