"""Sample placeholder values for the records emails (reminders), merged into test_templates.SAMPLES."""

SAMPLES = {
    "certificate_number": "7K3M-9QXP-2H4D",
    "expires_on": "Sat 2 May 2026",
    "time_left": "in 60 days",
    "refresher_course": "De-escalation Skills Refresher",
    "upcoming_sessions": "Tue 14 April 2026, 09:30-16:30, Orwell Training Centre, Ipswich: 5 seats left. "
    "Book: https://training.example.com/book/41/?prefill=412.0:1vQx9a:Zx8vRk2p0aQ4\n"
    "Thu 7 May 2026 (2 days), Online (virtual classroom): 1 seat left. "
    "Book: https://training.example.com/book/57/?prefill=412.0:1vQx9a:Zx8vRk2p0aQ4",
    "enquiry_link": "https://training.example.com/enquire/",
    "training_record_url": "https://training.example.com/records/training-record/K7PX3M9Q.Zx8vRk:G3hJ6kLq2Ws8/",
}
# No dates with seats before the certificate expires: the email says so and links to the course page.
OPTIONAL = {"upcoming_sessions"}
FLAGS = set()
