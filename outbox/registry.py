"""The kinds of email the system sends, each with the named placeholders its wording may use.

Apps register their kinds at import (booking/emails.py, enquiries/emails.py). The placeholders
are what administrators may write in their own wording, checked when it is saved.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmailKind:
    name: str
    label: str
    placeholders: dict = field(default_factory=dict)  # name -> what it holds

    @property
    def template_prefix(self):
        return f"emails/{self.name}"


KINDS: dict[str, EmailKind] = {}


def register(name, label, placeholders):
    kind = EmailKind(name=name, label=label, placeholders=dict(placeholders))
    KINDS[name] = kind
    return kind


def get(name):
    return KINDS[name]


def choices():
    return sorted(((kind.name, kind.label) for kind in KINDS.values()), key=lambda item: item[1])


# Functions that hide private links (a booker's manage link, say) in an email's text, for staff
# who may read emails but not use those links; apps register theirs (booking/emails.py).
_MASKS = []


def register_mask(function):
    _MASKS.append(function)
    return function


def mask_private_links(text):
    for function in _MASKS:
        text = function(text)
    return text


# Documents attached to emails by reference: {"filename", "mimetype", "document": "invoice:12"}.
# An app registers a function for its prefix that returns the document's bytes as issued
# (invoicing/apps.py, quotes/apps.py); the outbox calls it when the email is sent.
_DOCUMENTS = {}


def register_document(prefix, function):
    _DOCUMENTS[prefix] = function
    return function


def document_content(reference):
    prefix, _, key = reference.partition(":")
    return _DOCUMENTS[prefix](key)


def document_attachment(reference, filename, mimetype="application/pdf"):
    return {"filename": filename, "mimetype": mimetype, "document": reference}
