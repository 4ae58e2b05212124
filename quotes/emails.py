"""Quote emails: their kinds and placeholders. Wording: templates/emails/<kind>/."""

from outbox import registry

from .links import mask_tokens

QUOTE = {
    "quote_number": "The quote's number, for example Q-00042",
    "quote_version": "The version of the quote, for example 2",
    "organisation": "The client's organisation",
    "course": "The course quoted",
    "group_size": "How many delegates, for example 'Up to 12 delegates'",
    "site": "The training site: name, address, town and postcode, one a line",
    "total_net": "Total excluding VAT",
    "vat_rate": "The VAT rate, for example 20%",
    "vat": "The VAT amount",
    "total_gross": "Total including VAT",
}
ACCEPTANCE = {
    "chosen_date": "The days of the course as chosen, one a line, or that the dates are to be agreed",
    "po_line": "The purchase order number, or 'PO to follow'",
    "next_steps": "What happens next, in a sentence or two",
}

KINDS = {
    "quote_sent": (
        "A quote, with its PDF and the link to accept it (client)",
        {
            **QUOTE,
            "name": "The client's name",
            "proposed_dates": "The dates the client may choose from, one a line, or 'to be agreed'",
            "valid_until": "The last day the quote can be accepted, for example Fri 13 February 2026",
            "quote_link": "The client's private link to see and accept the quote",
            "sender": "The name of the sales person sending the quote",
            "replaces_note": "For a new version: which version it replaces (empty for the first)",
        },
    ),
    "quote_acceptance_receipt": (
        "Quote accepted: the record of what was accepted (the person who accepted)",
        {
            **QUOTE,
            **ACCEPTANCE,
            "name": "The name of the person who accepted",
            "accepted_at": "When the quote was accepted",
            "quote_link": "The client's private link to see the quote",
        },
    ),
    "quote_accepted": (
        "A quote has been accepted (lead owner, or the sales inbox)",
        {
            **QUOTE,
            **ACCEPTANCE,
            "owner": "The owner's name, or 'sales team'",
            "accepted_by": "Who accepted: name, job title and email",
            "admin_link": "The quote's page in the admin",
        },
    ),
}

for _name, (_label, _placeholders) in KINDS.items():
    registry.register(_name, _label, _placeholders)

registry.register_mask(mask_tokens)  # staff read sent emails without the client's accept link
