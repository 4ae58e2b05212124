"""Sample placeholder values for the quotes emails, merged into test_templates.SAMPLES.

Placeholders the quote kinds share with older kinds (organisation, course, totals, owner,
admin_link, po_line) keep those kinds' samples."""

SAMPLES = {
    "quote_number": "Q-00042",
    "quote_version": "2",
    "group_size": "Up to 12 delegates",
    "site": "Ipswich Hospital\nHeath Road\nIpswich IP4 5PD",
    "proposed_dates": "Mon 9 March 2026, 09:30-16:30 (and the next 2 working days)\n"
    "Mon 16 March 2026, 09:30-16:30 (and the next 2 working days)",
    "valid_until": "Fri 13 February 2026",
    "quote_link": "https://training.example.com/quotes/42.k3Jd9sQ2LmPx7vTz:Yb4nR8cW1eF6hU0aXqZs/",
    "sender": "Amy Clarke",
    "replaces_note": "This is version 2 of the quote: it replaces version 1, which no longer applies.",
    "chosen_date": "Mon 9 March 2026, 09:30-16:30\nTue 10 March 2026, 09:30-16:30\nWed 11 March 2026, 09:30-16:30",
    "next_steps": "We have booked your course. Morgan Reid will receive a separate email with a private link to "
    "share with your staff.",
    "accepted_at": "Mon 2 February 2026, 14:05",
    "accepted_by": "Morgan Reid, Head of Learning (morgan.reid@example.org)",
}
OPTIONAL = {"replaces_note"}
FLAGS = set()
