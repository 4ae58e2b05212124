"""Sample placeholder values for the invoicing emails, merged into test_templates.SAMPLES."""

SAMPLES = {
    "invoice_po": "NHS-PO-447120",
    "invoice_number": "INV-000012",
    "invoice_date": "Mon 2 February 2026",
    "invoice_due": "Wed 4 March 2026",
    "invoice_for": "De-escalation Skills, Tue 3 March 2026, Orwell Training Centre, Ipswich: delegate places: "
    "3 × £150.00 = £450.00\nTravel: 1 × £60.00 = £60.00",
    "invoice_net": "£510.00",
    "invoice_vat": "£102.00",
    "invoice_total": "£612.00",
    "bank_details": "Calm Response Training Ltd\nSort code 40-11-62, account 31926819",
    "credit_note_number": "CN-000003",
    "credit_note_date": "Fri 20 February 2026",
    "credited_invoice": "INV-000011",
    "credit_reason": "Booking cancelled before booking closed: free of charge, credited in full.",
    "credit_net": "£290.00",
    "credit_vat": "£58.00",
    "credit_total": "£348.00",
}
OPTIONAL = set()
FLAGS = set()
