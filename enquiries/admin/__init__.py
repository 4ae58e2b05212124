"""The sales team's admin: leads (list, lead page, dashboard, exports), the round robin and
newsletter subscribers. Lead activity has no admin of its own: it is the timeline on a lead."""

from .bulk_jobs import BulkJobAdmin  # noqa: F401 (registers the bulk changes' pages)
from .leads import LeadAdmin
from .people import NewsletterSubscriberAdmin, SalesPersonAdmin
from .personal_data import DataRequestAdmin

__all__ = ["DataRequestAdmin", "LeadAdmin", "NewsletterSubscriberAdmin", "SalesPersonAdmin"]
