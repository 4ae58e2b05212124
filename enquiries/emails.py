"""Lead and newsletter emails: their kinds and placeholders. Wording: templates/emails/<kind>/."""

from outbox import registry

LEAD = {
    "reference": "The lead's reference",
    "name": "The enquirer's name",
    "organisation": "Their organisation",
    "lead_type": "Enquiry or callback request",
    "promise": "When we will reply or call, e.g. 'by 15:30 today'",
}

KINDS = {
    "lead_acknowledgement": (
        "Thank you for your enquiry (enquirer)",
        {**LEAD, "summary": "What they asked about, one item a line"},
    ),
    "lead_alert": (
        "New lead (sales team and owner)",
        {
            **LEAD,
            "owner": "Who the lead is assigned to",
            "due": "When it is due",
            "summary": "The lead's details, one item a line",
            "admin_link": "The lead's page in the admin",
            "duplicate_note": "A note when the lead may duplicate an open one",
        },
    ),
    "lead_overdue": (
        "Leads overdue (owner, or the sales inbox for leads nobody active owns)",
        {
            "owner": "The owner's name, or 'sales team'",
            "for_team": "'yes' when sent to the sales inbox (the leads have no active owner)",
            "count": "How many leads have just become overdue, e.g. '3 leads'",
            "leads": "Each lead: reference, who, due time, next action, phone and link, one a line",
            "admin_link": "The admin list of the recipient's overdue leads",
        },
    ),
    "lead_escalation": (
        "Leads overdue too long (sales managers)",
        {
            "count": "How many leads are escalated, e.g. '2 leads'",
            "hours": "The working hours overdue after which a lead is escalated",
            "leads": "Each lead: reference, who, due time, next action, owner and link, one a line",
            "admin_link": "The admin list of all overdue leads",
        },
    ),
    "lead_digest": (
        "Morning digest (each owner, and the sales inbox for leads nobody active owns)",
        {
            "owner": "The owner's name, or 'sales team'",
            "for_team": "'yes' when sent to the sales inbox",
            "overdue_count": "How many are overdue",
            "due_today_count": "How many are due later today",
            "leads": "The most urgent leads, one a line",
            "more": "'... and 12 more in the full list.' when not all are listed (else empty)",
            "admin_link": "The admin list of the recipient's open leads",
        },
    ),
    "lead_booked": (
        "A lead has booked (owner)",
        {
            **LEAD,
            "owner": "The owner's name, or 'sales team'",
            "who": "The organisation, or the person's name",
            "booking_reference": "The booking's reference",
            "course": "The course booked",
            "session": "The session: course, date and place",
            "delegates": "How many delegates",
            "booking_status": "The booking's status",
            "won": "'yes' when the lead was moved to won; empty when the owner should decide",
            "admin_link": "The lead's page in the admin",
        },
    ),
    "newsletter_confirm": (
        "Confirm your newsletter sign-up (subscriber)",
        {
            "name": "The subscriber's name, if given",
            "confirm_link": "The link to confirm",
            "unsubscribe_link": "One-click unsubscribe link",
        },
    ),
    "newsletter_welcome": (
        "Newsletter sign-up confirmed (subscriber)",
        {"name": "The subscriber's name, if given", "unsubscribe_link": "One-click unsubscribe link"},
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)
