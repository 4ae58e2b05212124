"""What every public form shares: GOV.UK-style error summaries and messages."""

from django.core.exceptions import NON_FIELD_ERRORS

# Error messages as GOV.UK writes them: say what to do, in the words of the page, no full stop.
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class ErrorSummaryMixin:
    """The rows of a page's error summary: each problem as a link to its field (GOV.UK pattern)."""

    summary_prefix = ""

    def error_summary(self):
        """[{"field", "anchor", "message"}], the form's own problems first, then each field's in
        the order the form asks for them (not the order clean() found them)."""
        rows = [
            {"field": None, "anchor": self._first_field_anchor(), "message": error}
            for name, errors in self.errors.items()
            if name == NON_FIELD_ERRORS or name not in self.fields
            for error in errors
        ]
        for name in self.fields:
            anchor = self._anchor(name)
            rows += [
                {"field": name, "anchor": anchor, "message": f"{self.summary_prefix}{error}"}
                for error in self.errors.get(name, [])
            ]
        return rows

    def _anchor(self, name):
        # A radio group has no element of its own id: link to its first choice.
        bound = self[name]
        return bound.auto_id + "_0" if bound.field.widget.use_fieldset else bound.auto_id

    def _first_field_anchor(self):
        first = next(iter(self.fields), None)
        return self._anchor(first) if first else ""


def require_po_or_to_follow(form, data):
    """A purchase order number, or "PO to follow", not both and not neither: the errors go beside
    the fields (the booking form and the quote acceptance form ask the same)."""
    purchase_order = (data.get("purchase_order") or "").strip()
    if purchase_order and data.get("po_to_follow"):
        form.add_error("po_to_follow", "Give a purchase order number or choose 'PO to follow', not both")
    elif not purchase_order and not data.get("po_to_follow") and "purchase_order" not in form.errors:
        form.add_error(
            "purchase_order", "Give a purchase order number, or choose 'PO to follow' if you will send it later"
        )
