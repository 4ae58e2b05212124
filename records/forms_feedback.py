"""The delegate's feedback survey: three ratings, two comments, and whether and how we may quote them."""

from django import forms
from django.utils.html import format_html

from core.forms import ErrorSummaryMixin

from .models import Attribution
from .services.feedback import RATINGS, attribution_preview

RATING_CHOICES = [(1, "1 Poor"), (2, "2 Fair"), (3, "3 Good"), (4, "4 Very good"), (5, "5 Excellent")]
RATING_QUESTIONS = {
    "content_rating": "How good was the course content?",
    "trainer_rating": "How good was the trainer?",
    "relevance_rating": "How relevant was the course to your work?",
}


def _rating_field(name):
    return forms.TypedChoiceField(
        label=RATING_QUESTIONS[name],
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": f"Choose a rating from 1 to 5 for {RATINGS[name]}",
            "invalid_choice": f"Choose a rating from 1 to 5 for {RATINGS[name]}",
        },
    )


class FeedbackForm(ErrorSummaryMixin, forms.Form):
    content_rating = _rating_field("content_rating")
    trainer_rating = _rating_field("trainer_rating")
    relevance_rating = _rating_field("relevance_rating")
    will_do_differently = forms.CharField(
        label="What will you do differently at work? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "What you will do differently must be 2,000 characters or fewer"},
    )
    comment = forms.CharField(
        label="Would you tell others about the course? (optional, we may quote this)",
        help_text="What would you say to a colleague thinking of going on it?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Your comment must be 1,000 characters or fewer"},
    )
    may_quote = forms.BooleanField(
        label="Yes, you may quote my comment on your website",
        required=False,
    )
    attribution = forms.ChoiceField(
        label="If you quote me, name me as",
        widget=forms.RadioSelect,
        initial=Attribution.ROLE,
        error_messages={
            "required": "Choose how we should name you if we quote you",
            "invalid_choice": "Choose how we should name you if we quote you",
        },
    )
    attribution_role = forms.CharField(
        label="Your job role, as we would show it",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
        error_messages={"max_length": "Your job role must be 150 characters or fewer"},
    )

    def __init__(self, *args, delegate, **kwargs):
        super().__init__(*args, **kwargs)
        session = delegate.booking.session
        self.fields["attribution_role"].initial = delegate.job_role
        trainer = session.trainer.name if session.trainer else ""
        if trainer:
            self.fields["trainer_rating"].label = f"How good was the trainer, {trainer}?"
        role = delegate.job_role or "your job role"

        def example(choice):
            line, organisation = attribution_preview(
                choice=choice,
                name=delegate.name,
                role=role,
                organisation=delegate.booking.organisation,
                course_title=session.course.title,
            )
            return ", ".join(part for part in [line, organisation] if part)

        self.fields["attribution"].choices = [
            (
                Attribution.NAME_AND_ROLE,
                format_html(
                    'My name, job role and organisation <span class="text-secondary">({})</span>',
                    example(Attribution.NAME_AND_ROLE),
                ),
            ),
            (
                Attribution.ROLE,
                format_html('My job role only <span class="text-secondary">({})</span>', example(Attribution.ROLE)),
            ),
            (
                Attribution.ANONYMOUS,
                format_html('Anonymous <span class="text-secondary">({})</span>', example(Attribution.ANONYMOUS)),
            ),
        ]

    @property
    def rating_fields(self):
        return [self[name] for name in RATINGS]

    def clean(self):
        data = super().clean()
        # The service refuses it too; said here, it comes with any other problem at once.
        if data.get("may_quote") and data.get("attribution") == Attribution.ROLE and not data.get("attribution_role"):
            self.add_error("attribution_role", "Enter your job role, or choose to be quoted anonymously")
        return data
