"""Trainers, the courses each may deliver, and the days they cannot work.

The one clash rule (a trainer is on at most one session a day, never on a day they are away)
lives in trainers/services.py.
"""

from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from courses.models import Course


class Trainer(models.Model):
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(region="GB", blank=True)
    courses = models.ManyToManyField(
        Course, related_name="trainers", blank=True, help_text="The courses this trainer may deliver."
    )
    is_active = models.BooleanField("active", default=True, help_text="Untick when they no longer train for us.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class TrainerUnavailability(models.Model):
    """Days a trainer cannot work (leave, other commitments), first and last day inclusive."""

    trainer = models.ForeignKey(Trainer, on_delete=models.CASCADE, related_name="unavailable")
    starts_on = models.DateField("from")
    ends_on = models.DateField("to")
    reason = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = "day unavailable"
        verbose_name_plural = "days unavailable"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="trainer_unavailable_ends_after_start",
                violation_error_message="The last day cannot be before the first.",
            ),
        ]

    def __str__(self):
        return f"{self.trainer}: {self.starts_on} to {self.ends_on}"
