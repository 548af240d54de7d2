"""Enums whose values are the contracts service's own spellings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Whether a customer gets support: only customers in good standing do.")
class CustomerStanding(Enum):
    GOOD = strawberry.enum_value("good", description="Gets support.")
    SUSPENDED = strawberry.enum_value(
        "suspended", description="Gets no support until set back to GOOD."
    )


@strawberry.enum(description="The language a customer is served in.")
class Language(Enum):
    EN = strawberry.enum_value("en", description="English.")
    NL = strawberry.enum_value("nl", description="Dutch.")


@strawberry.enum(description="An agreement's status: ACTIVE, EXPIRED, SUSPENDED or CANCELLED.")
class AgreementStatus(Enum):
    ACTIVE = strawberry.enum_value(
        "active", description="In force: its customer's contacts get support."
    )
    EXPIRED = strawberry.enum_value("expired", description="Past its last day without a renewal.")
    SUSPENDED = strawberry.enum_value(
        "suspended", description="Stopped for now; may be made active again."
    )
    CANCELLED = strawberry.enum_value("cancelled", description="Ended for good.")


@strawberry.enum(description="What a quota ledger entry records.")
class QuotaEntryKind(Enum):
    GRANT = strawberry.enum_value("grant", description="The agreement year's tickets.")
    CONSUME = strawberry.enum_value("consume", description="A case used a ticket.")
    REVERSAL = strawberry.enum_value("reversal", description="A consumption undone.")
    ROLLOVER_IN = strawberry.enum_value(
        "rollover_in", description="Unused tickets brought in from the previous year."
    )
    ROLLOVER_OUT = strawberry.enum_value(
        "rollover_out", description="Unused tickets carried over to the next year."
    )
    EXCHANGE = strawberry.enum_value(
        "exchange", description="Tickets exchanged for a premium service."
    )
    PURCHASE = strawberry.enum_value("purchase", description="Tickets bought.")


@strawberry.enum(description="Who may open cases under a plan.")
class ContactRule(Enum):
    UNLIMITED = strawberry.enum_value(
        "unlimited", description="Any number of registered contacts may open cases."
    )
    ADMINISTRATORS_ONLY = strawberry.enum_value(
        "administrators_only", description="Only the customer's administrators may open cases."
    )


@strawberry.enum(description="What happens to a case once the yearly quota is used up.")
class WhenExhausted(Enum):
    REFUSE = strawberry.enum_value(
        "refuse", description="A case is refused once the quota is used up."
    )
    BILLABLE = strawberry.enum_value(
        "billable",
        description="A case is accepted and booked as billable once the quota is used up.",
    )


@strawberry.enum(description="A channel through which a plan's customers may reach support.")
class Channel(Enum):
    EMAIL = strawberry.enum_value("email", description="By email.")
    PHONE = strawberry.enum_value("phone", description="By phone.")
    WEB = strawberry.enum_value("web", description="Through the web portal.")
    CHAT = strawberry.enum_value("chat", description="By chat.")


@strawberry.enum(description="A service a plan includes beyond answering cases.")
class IncludedService(Enum):
    REMOTE_DIAGNOSIS = strawberry.enum_value(
        "remote_diagnosis", description="Diagnosis on the customer's system, remotely."
    )
    ON_SITE = strawberry.enum_value("on_site", description="Support on site.")
    EMERGENCY = strawberry.enum_value("emergency", description="Emergency support.")
    EMERGENCY_BILLED = strawberry.enum_value(
        "emergency_billed", description="Each emergency call is billed (with EMERGENCY)."
    )
    EARLY_ACCESS = strawberry.enum_value(
        "early_access", description="Early access to new releases."
    )
    FEATURE_REQUESTS = strawberry.enum_value(
        "feature_requests", description="Feature requests are taken."
    )
    SCHEDULED_VISITS = strawberry.enum_value("scheduled_visits", description="Scheduled visits.")
    UPGRADES = strawberry.enum_value("upgrades", description="Upgrades to new versions.")


@strawberry.enum(description="A license key's status.")
class LicenseKeyStatus(Enum):
    ACTIVE = strawberry.enum_value("active", description="Validates.")
    SUSPENDED = strawberry.enum_value(
        "suspended", description="Does not validate for now; may be resumed."
    )
    REVOKED = strawberry.enum_value("revoked", description="Does not validate, for good.")


@strawberry.enum(description="The answer of a license key validation (docs/api.md).")
class LicenseKeyValidationCode(Enum):
    VALID = strawberry.enum_value("VALID", description="The key is valid.")
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No such key was issued.")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="The key is suspended.")
    REVOKED = strawberry.enum_value("REVOKED", description="The key is revoked.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="The key has expired.")
    VERSION_MISMATCH = strawberry.enum_value(
        "VERSION_MISMATCH", description="The key is for another product or major version."
    )
    BAD_SIGNATURE = strawberry.enum_value(
        "BAD_SIGNATURE",
        description="The key's signature does not verify: it was altered or not issued here.",
    )


@strawberry.enum(description="What a billable item is for.")
class BillableKind(Enum):
    EXTRA_TICKET = strawberry.enum_value(
        "extra_ticket", description="A case accepted after the quota ran out."
    )
    SERVICE_REQUEST = strawberry.enum_value(
        "service_request", description="A service request outside the plan."
    )
    EMERGENCY_CALL = strawberry.enum_value("emergency_call", description="An emergency call.")
    ONSITE_VISIT = strawberry.enum_value("onsite_visit", description="A visit on site.")
    OTHER_SUPPORT = strawberry.enum_value(
        "other_support", description="Any other paid support work."
    )
    UPGRADE = strawberry.enum_value("upgrade", description="An upgrade to the next major version.")
