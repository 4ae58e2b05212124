"""Finding leads by what a caller or a colleague gives: a name, an email address, a phone number
as people type it, an organisation or a reference. The API's lead search; it matches as the
admin's lead search does (search_fields in enquiries/admin/leads.py).

Each word must appear in one of the fields (case-insensitive), so "jo riverside" finds Jo Patel
of Riverside Housing; "quoted words" are one word. A whole search that is a UK phone number
("01473 555012", "+44 1473 555 012") also finds the lead with that number, stored as +441473555012.

On PostgreSQL every field searched has a trigram index over the expression `icontains` writes
(enquiries/migrations/0004), so the words are found through the indexes, not by reading every lead.
"""

from datetime import timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.utils.text import smart_split, unescape_string_literal

from .personal_data import uk_phone

# As the admin's search_fields; each has its trigram index (0004_lead_search_indexes).
SEARCH_FIELDS = ["reference", "name", "email", "phone", "organisation"]
SEARCH_MAX_LENGTH = 100


def _words(term):
    """The words of a search as the admin splits them: on spaces, "a quoted phrase" as one."""
    for word in smart_split(term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        yield word


def lead_search(*, queryset, term):
    """The leads of `queryset` matching `term`, newest first.

    Newest first by an expression no index covers: ordered by created_at itself, PostgreSQL may
    walk that index newest first hoping to meet 20 matches early, which reads every lead when
    the matches are few or old. Ordered by the expression, it finds the matches by the trigram
    indexes first and sorts only them (the admin's lead list does the same, lead_list.py)."""
    term = term.strip()
    matches = Q()
    for word in _words(term):
        matches &= Q.create([(f"{field}__icontains", word) for field in SEARCH_FIELDS], connector=Q.OR)
    if number := uk_phone(term):
        # Phones are stored as +44...; people type them as 01473 555012.
        matches |= Q(phone=number)
    created = ExpressionWrapper(F("created_at") + Value(timedelta(0)), output_field=DateTimeField())
    return queryset.filter(matches).order_by(created.desc(), "-pk")
