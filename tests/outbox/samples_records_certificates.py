"""Sample placeholder values for the records emails (certificates), merged into test_templates.SAMPLES."""

SAMPLES = {
    # The same as the reminders' samples (samples_records_reminders.py): one dict holds them all.
    "certificate_number": "7K3M-9QXP-2H4D",
    "expires_on": "Sat 2 May 2026",
    "completed_on": "Wed 4 March 2026",
    "accreditation": "RRN certified: meets the Restraint Reduction Network Training Standards; "
    "CPD Certification Service accredited",
    "certificate_url": "https://training.example.com/certificates/7K3M-9QXP-2H4D:Zx8vRk2p0aQ4mT7yB1nC5dE9fG3/"
    "certificate.pdf",
    "verify_url": "https://training.example.com/certificates/verify/?number=7K3M-9QXP-2H4D",
}
# A course may have no accreditation, and a certificate may not expire: the email then says so.
OPTIONAL = {"accreditation", "expires_on"}
FLAGS = set()
