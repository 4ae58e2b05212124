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
        "Callback overdue (owner)",
        {
            **LEAD,
            "owner": "The owner's name",
            "due": "When it was due",
            "phone": "The number to call",
            "admin_link": "The lead's page in the admin",
        },
    ),
    "lead_digest": (
        "Morning digest (each owner)",
        {
            "owner": "The owner's name",
            "overdue": "Overdue leads, one a line",
            "due_today": "Leads due today, one a line",
            "overdue_count": "How many are overdue",
            "due_today_count": "How many are due today",
            "admin_link": "The admin page of the owner's open leads",
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
