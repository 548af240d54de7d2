"""Mail categories: what a contact may opt out of, and what every contact always gets."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Non-essential mail a contact may switch off."""

    # Staff replies and status changes on cases the contact opened or follows.
    TICKET_UPDATES = "ticket_updates"
    # Satisfaction survey invitations [000].
    SURVEYS = "surveys"
    # Product news, such as "your idea shipped" [001].
    PRODUCT_NEWS = "product_news"


# Notices nobody can opt out of: what a customer must know to get support at all.
ESSENTIAL: dict[str, str] = {
    "case_number": "The case number mail sent when a case is opened [000][001].",
    "lifecycle_announcements": "End of Sales, Mainstream Support and Life, six months ahead [003].",
    "maintenance": "Scheduled and unscheduled maintenance notices [001].",
    "account_notices": "Notices about the customer's own integrations (a disabled webhook).",
}

DESCRIPTIONS: dict[Category, str] = {
    Category.TICKET_UPDATES: "Staff replies and status changes on cases you opened or follow.",
    Category.SURVEYS: "Satisfaction survey invitations.",
    Category.PRODUCT_NEWS: "Product news, such as an idea you asked for having shipped.",
}
