"""After the course: attendance per delegate and day, certificates, refresher reminders, feedback.

Names, courses and organisations are copied onto a certificate when it is issued, so it reads
the same for as long as it is valid, whatever later happens to the booking or the catalogue.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from booking.models import CourseSession, Delegate, SessionDay
from courses.models import Course, Testimonial
from trainers.models import Trainer


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    ABSENT = "absent", "Absent"
    LEFT_EARLY = "left_early", "Left early"


class Attendance(models.Model):
    delegate = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="attendance")
    day = models.ForeignKey(SessionDay, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=12, choices=AttendanceStatus.choices)
    marked_by = models.CharField(max_length=150, help_text="The trainer, or the staff user who marked it.")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day__starts_at", "delegate_id"]
        verbose_name_plural = "attendance"
        constraints = [models.UniqueConstraint("delegate", "day", name="attendance_once_per_delegate_and_day")]

    def __str__(self):
        return f"{self.delegate.name}: {self.get_status_display()} on {self.day}"


class Certificate(models.Model):
    # Twelve characters from 32 (60 bits), e.g. 7K3M-9QXP-2H4D: not guessable, easy to read out.
    number = models.CharField(max_length=14, unique=True, editable=False)
    delegate = models.OneToOneField(
        Delegate, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificate"
    )
    session = models.ForeignKey(
        CourseSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    holder_name = models.CharField(max_length=150)
    holder_email = models.EmailField()
    course_title = models.CharField(max_length=150)
    accreditation = models.CharField(max_length=300, blank=True)
    cpd_hours = models.DecimalField("CPD hours", max_digits=4, decimal_places=1, null=True, blank=True)
    organisation = models.CharField(max_length=200)
    ods_code = models.CharField("NHS ODS code", max_length=9, blank=True)
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Blank if it does not expire.")
    issued_at = models.DateTimeField(default=timezone.now)
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-completed_on", "holder_name"]
        indexes = [models.Index(fields=["expires_on"])]

    def __str__(self):
        return f"{self.number}: {self.holder_name}, {self.course_title}"

    def is_valid_on(self, day):
        return self.expires_on is None or day <= self.expires_on

    @property
    def filename(self):
        return f"certificate-{self.number}.pdf"


class RefresherReminder(models.Model):
    """One reminder sent for a certificate: at most one per window (60 days, 14 days ...)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint("certificate", "days_before", name="refresher_reminder_once_per_window")]

    def __str__(self):
        return f"{self.certificate.number}: {self.days_before} days before expiry"


class Attribution(models.TextChoices):
    NAME_AND_ROLE = "name_and_role", "My name and job role"
    ROLE = "role", "My job role only"
    ANONYMOUS = "anonymous", "Anonymous"


class Moderation(models.TextChoices):
    NOT_QUOTABLE = "", "No quote offered"
    PENDING = "pending", "Awaiting moderation"
    PUBLISHED = "published", "Published"
    DECLINED = "declined", "Declined"


RATING = [MinValueValidator(1), MaxValueValidator(5)]


class Feedback(models.Model):
    delegate = models.OneToOneField(Delegate, null=True, on_delete=models.SET_NULL, related_name="feedback")
    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="feedback")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="feedback")
    trainer = models.ForeignKey(Trainer, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    content_rating = models.PositiveSmallIntegerField("course content", validators=RATING)
    trainer_rating = models.PositiveSmallIntegerField("trainer", validators=RATING)
    relevance_rating = models.PositiveSmallIntegerField("relevance to their work", validators=RATING)
    will_do_differently = models.TextField("what they will do differently", blank=True, max_length=2000)
    comment = models.TextField("comment others may read", blank=True, max_length=1000)
    may_quote = models.BooleanField("may we quote them", default=False)
    attribution = models.CharField(max_length=14, choices=Attribution.choices, default=Attribution.ROLE)
    attribution_name = models.CharField("name", max_length=150, blank=True)
    attribution_role = models.CharField("job role", max_length=150, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True, db_index=True)
    testimonial = models.OneToOneField(
        Testimonial, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_rating__range=(1, 5))
                & models.Q(trainer_rating__range=(1, 5))
                & models.Q(relevance_rating__range=(1, 5)),
                name="feedback_ratings_1_to_5",
                violation_error_message="Ratings are from 1 to 5.",
            ),
        ]

    def __str__(self):
        return f"Feedback on {self.course} ({self.submitted_at:%d/%m/%Y})"

    @property
    def average(self):
        return (self.content_rating + self.trainer_rating + self.relevance_rating) / 3


from .proxies import SessionAttendance  # noqa: E402, F401  (the admin's attendance by session; no table)
