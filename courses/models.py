"""The public catalogue: sectors, courses and testimonials."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse


class Sector(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=300, help_text="One or two sentences for cards and lists.")
    introduction = models.TextField(
        blank=True, help_text="The sector page's opening text. Blank lines separate paragraphs."
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("courses:sector_detail", args=[self.slug])


class Delivery(models.TextChoices):
    OPEN = "open", "Open course at our venue"
    IN_HOUSE = "in_house", "In-house at your site"
    VIRTUAL = "virtual", "Virtual classroom"


class Course(models.Model):
    title = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=150, unique=True)
    summary = models.CharField(max_length=300)
    description = models.TextField(help_text="Blank lines separate paragraphs.")
    learning_outcomes = models.TextField(blank=True, help_text="One outcome a line.")
    audience = models.TextField("who it is for", blank=True)
    # Days as a decimal so a half day is exactly 0.5, never a rounded float or free text.
    duration_days = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text="0.5 for a half day, 1 for one day, 3 for three days.",
    )
    delivery_open = models.BooleanField("open course", default=True)
    delivery_in_house = models.BooleanField("in-house", default=True)
    delivery_virtual = models.BooleanField("virtual classroom", default=False)
    cpd_hours = models.DecimalField(
        "CPD hours", max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    rrn_certified = models.BooleanField(
        "RRN certified",
        default=False,
        help_text="Certified against the RRN Training Standards (restrictive practices).",
    )
    quality_award = models.CharField(
        "professional-body quality award", max_length=150, blank=True, help_text="Leave blank if none."
    )
    certificate_validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long the certificate is valid. Blank if it does not expire."
    )
    price = models.DecimalField(
        "price per delegate (GBP, excluding VAT)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="For open courses. Leave blank for in-house only (priced on enquiry).",
    )
    refresher_course = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refresher_for",
        help_text="The shorter course that renews this certificate. Blank: the same course renews it.",
    )
    sectors = models.ManyToManyField(Sector, related_name="courses", blank=True)
    related_courses = models.ManyToManyField("self", blank=True)
    is_published = models.BooleanField("published", default=False)
    is_featured = models.BooleanField("featured", default=False)
    display_order = models.PositiveSmallIntegerField(default=0)
    seo_title = models.CharField("SEO title", max_length=70, blank=True)
    seo_description = models.CharField("SEO description", max_length=160, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delivery_open=True)
                | models.Q(delivery_in_house=True)
                | models.Q(delivery_virtual=True),
                name="course_has_a_delivery_format",
                violation_error_message="Choose at least one delivery format.",
            ),
            models.CheckConstraint(
                condition=models.Q(delivery_open=False) | models.Q(price__isnull=False),
                name="open_course_has_price",
                violation_error_message="An open course needs a price per delegate.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:course_detail", args=[self.slug])

    @property
    def duration_label(self):
        days = self.duration_days
        if days == Decimal("0.5"):
            return "Half day"
        if days == 1:
            return "1 day"
        return f"{days.normalize():f} days"

    @property
    def delivery_formats(self):
        """The (code, label) pairs this course is offered in."""
        flags = {
            Delivery.OPEN: self.delivery_open,
            Delivery.IN_HOUSE: self.delivery_in_house,
            Delivery.VIRTUAL: self.delivery_virtual,
        }
        return [(choice.value, choice.label) for choice, offered in flags.items() if offered]

    @property
    def outcomes_list(self):
        return [line.strip() for line in self.learning_outcomes.splitlines() if line.strip()]

    @property
    def vat(self):
        if self.price is None:
            return None
        return (self.price * settings.VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def price_including_vat(self):
        if self.price is None:
            return None
        return self.price + self.vat


class Testimonial(models.Model):
    quote = models.TextField()
    attribution_role = models.CharField("role", max_length=120, help_text="For example: Emergency department nurse")
    attribution_organisation = models.CharField("organisation", max_length=150, blank=True)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="testimonials")
    sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.SET_NULL, related_name="testimonials")
    is_published = models.BooleanField("published", default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "pk"]

    def __str__(self):
        return f"{self.attribution}: {self.quote[:50]}"

    @property
    def attribution(self):
        return ", ".join(part for part in [self.attribution_role, self.attribution_organisation] if part)


class Programme(models.Model):
    """An ordered set of complementary courses for a sector: one course is rarely enough."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="programmes")
    title = models.CharField(max_length=150, help_text="For example: A programme for NHS wards")
    introduction = models.TextField(blank=True, help_text="Who the programme is for. Blank lines separate paragraphs.")
    display_order = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField("published", default=False)
    courses = models.ManyToManyField(Course, through="ProgrammeCourse", related_name="programmes")

    class Meta:
        ordering = ["display_order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "title"],
                name="programme_title_unique_in_sector",
                violation_error_message="This sector already has a programme with this title.",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.sector.get_absolute_url() + f"#programme-{self.pk}"

    def enquiry_message(self):
        return f"We would like to ask about: {self.title}"


class ProgrammeCourse(models.Model):
    """One course in a programme, in its place, with the reason it is there."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="lines")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="programme_lines")
    position = models.PositiveSmallIntegerField(default=0)
    why = models.CharField(
        "why it is there", max_length=300, help_text="One line: what this course adds to the programme."
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "course"],
                name="programme_course_once",
                violation_error_message="This course is already in the programme.",
            )
        ]

    def __str__(self):
        return f"{self.position}. {self.course}"
