"""The quote admin, where sales staff build, send and re-issue quotes from a lead's page.

Every write goes through quotes/services: the draft's details, its lines and proposed dates
(while a draft), sending, a new version and scheduling an accepted quote. Once sent a quote is
read-only; its page shows its versions, the acceptance and the PDF.
"""

from .quotes import QuoteAdmin

__all__ = ["QuoteAdmin"]
