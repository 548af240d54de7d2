"""Enums whose values are the contracts service's own spellings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class CustomerStanding(Enum):
    GOOD = "good"
    SUSPENDED = "suspended"


@strawberry.enum(description="The language a customer is served in.")
class Language(Enum):
    EN = "en"
    NL = "nl"


@strawberry.enum
class AgreementStatus(Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


@strawberry.enum
class QuotaEntryKind(Enum):
    GRANT = "grant"
    CONSUME = "consume"
    REVERSAL = "reversal"
    ROLLOVER_IN = "rollover_in"
    ROLLOVER_OUT = "rollover_out"
    EXCHANGE = "exchange"
    PURCHASE = "purchase"


@strawberry.enum(description="Who may open cases under a plan.")
class ContactRule(Enum):
    UNLIMITED = "unlimited"
    ADMINISTRATORS_ONLY = "administrators_only"


@strawberry.enum(description="What happens to a case once the yearly quota is used up.")
class WhenExhausted(Enum):
    REFUSE = "refuse"
    BILLABLE = "billable"


@strawberry.enum
class Channel(Enum):
    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    CHAT = "chat"


@strawberry.enum
class IncludedService(Enum):
    REMOTE_DIAGNOSIS = "remote_diagnosis"
    ON_SITE = "on_site"
    EMERGENCY = "emergency"
    EARLY_ACCESS = "early_access"
    FEATURE_REQUESTS = "feature_requests"
    SCHEDULED_VISITS = "scheduled_visits"
    UPGRADES = "upgrades"


@strawberry.enum
class LicenseKeyStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@strawberry.enum(description="The answer of a license key validation (docs/api.md).")
class LicenseKeyValidationCode(Enum):
    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    VERSION_MISMATCH = "VERSION_MISMATCH"
    BAD_SIGNATURE = "BAD_SIGNATURE"


@strawberry.enum
class BillableKind(Enum):
    EXTRA_TICKET = "extra_ticket"
    SERVICE_REQUEST = "service_request"
    EMERGENCY_CALL = "emergency_call"
    ONSITE_VISIT = "onsite_visit"
    OTHER_SUPPORT = "other_support"
    UPGRADE = "upgrade"
