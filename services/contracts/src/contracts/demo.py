"""The demo data of docs/domain.md section 5, as data.

The four seed policies become the plans InfoCare, InfraCare, Invantive Subscription,
Infotecs Basic and Infotecs Premium; six customers show how entitlement answers differ.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def office_hours(start: str, end: str) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {day: [[start, end]] for day in WEEKDAYS}
    hours.update({"sat": [], "sun": []})
    return hours


def calendar(
    timezone: str,
    start: str,
    end: str,
    country: str | None,
    subdivision: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "timezone": timezone,
        "hours": office_hours(start, end),
        "always_open": False,
        "holiday_country": country,
        "holiday_subdivision": subdivision,
        "extra_holidays": [],
        "use_customer_center": False,
        **extra,
    }


def target(
    metric: str,
    minutes: int,
    *,
    business: bool = True,
    priorities: list[str] | None = None,
    window: dict[str, Any] | None = None,
    visit: bool = False,
) -> dict[str, Any]:
    return {
        "metric": metric,
        "minutes": minutes,
        "business_time": business,
        "priorities": priorities,
        "window": window,
        "scheduled_visit": visit,
    }


SUPPORT_CENTERS = [
    {
        "code": "broomfield",
        "name": "Broomfield, Colorado",
        "regions": ["AMERICAS"],
        "calendar": calendar("America/Denver", "08:00", "17:00", "US"),
    },
    {
        "code": "wallingford",
        "name": "Wallingford, United Kingdom",
        "regions": ["EMEA"],
        "calendar": calendar("Europe/London", "08:00", "17:00", "GB", "ENG"),
    },
    {
        "code": "brisbane",
        "name": "Brisbane, Australia",
        "regions": ["APAC"],
        "calendar": calendar("Australia/Brisbane", "08:00", "17:00", "AU", "QLD"),
    },
]

_NEW_YORK_DAYTIME = {
    "timezone": "America/New_York",
    "days": list(WEEKDAYS),
    "start": "07:00",
    "end": "22:00",
}
_MOSCOW = calendar("Europe/Moscow", "09:00", "18:00", "RU")
_INFOTECS_PRIORITIES = ["LOW", "NORMAL", "HIGH", "CRITICAL"]

PLANS: list[dict[str, Any]] = [
    {
        "code": "infocare",
        "name": "InfoCare",
        "description": (
            "Innovyze InfoCare: the nearest support center's office hours, Mon-Fri. Goals: "
            "first response and resolution for 90% of cases within 2 hours, 95% resolved "
            "within 24 hours."
        ),
        "sla_policy": {
            # Resolved per customer to its support center's calendar.
            "calendar": calendar(
                "America/Denver", "08:00", "17:00", "US", use_customer_center=True
            ),
            "priorities": ["LOW", "NORMAL", "HIGH"],
            "default_priority": "NORMAL",
            "targets": [
                target("FIRST_RESPONSE", 120),
                target("NEXT_RESPONSE", 120),
                target("RESOLUTION", 1440),
            ],
        },
        "channels": ["email", "phone", "web"],
        "services": ["remote_diagnosis", "early_access", "feature_requests"],
        "contact_rule": "unlimited",
    },
    {
        "code": "infracare",
        "name": "InfraCare",
        "description": (
            "InfraWare InfraCare: first response 2 hours when the case arrives Mon-Fri "
            "07:00-22:00 US Eastern, 8 hours at night and weekends, 15 minutes during a "
            "scheduled visit; the clock restarts each time the two sides answer each other."
        ),
        "sla_policy": {
            "calendar": {
                "timezone": "America/New_York",
                "hours": {},
                "always_open": True,
                "holiday_country": None,
                "holiday_subdivision": None,
                "extra_holidays": [],
                "use_customer_center": False,
            },
            "priorities": ["NORMAL"],
            "default_priority": "NORMAL",
            "targets": [
                target("FIRST_RESPONSE", 15, business=False, visit=True),
                target("FIRST_RESPONSE", 120, business=False, window=_NEW_YORK_DAYTIME),
                target("FIRST_RESPONSE", 480, business=False),
                target("NEXT_RESPONSE", 15, business=False, visit=True),
                target("NEXT_RESPONSE", 120, business=False, window=_NEW_YORK_DAYTIME),
                target("NEXT_RESPONSE", 480, business=False),
            ],
        },
        "channels": ["email", "phone", "web"],
        "services": ["remote_diagnosis", "scheduled_visits", "emergency", "feature_requests"],
        "contact_rule": "administrators_only",
    },
    {
        "code": "invantive-subscription",
        "name": "Invantive Subscription",
        "description": (
            "Invantive: business days, service hours 09:00-17:00 CET, Dutch holidays. "
            "Category I response 1 / repair 10 business days; II 2 / 30; III 3 / 90."
        ),
        "sla_policy": {
            "calendar": calendar("Europe/Amsterdam", "09:00", "17:00", "NL"),
            "priorities": ["I", "II", "III"],
            "default_priority": "III",
            "targets": [
                target("FIRST_RESPONSE", 480, priorities=["I"]),
                target("FIRST_RESPONSE", 960, priorities=["II"]),
                target("FIRST_RESPONSE", 1440, priorities=["III"]),
                target("RESOLUTION", 4800, priorities=["I"]),
                target("RESOLUTION", 14400, priorities=["II"]),
                target("RESOLUTION", 43200, priorities=["III"]),
            ],
        },
        "channels": ["email", "web"],
        "services": ["remote_diagnosis", "feature_requests", "upgrades"],
        "contact_rule": "unlimited",
    },
    {
        "code": "infotecs-basic",
        "name": "Infotecs Basic",
        "description": (
            "Infotecs Basic technical support: up to 40 resolved tickets a year, unused "
            "tickets roll over; more are accepted as billable. 12% of the license price "
            "the first year, 20% later years, 30% for an upgrade to the next major version."
        ),
        "sla_policy": {
            "calendar": _MOSCOW,
            "priorities": _INFOTECS_PRIORITIES,
            "default_priority": "NORMAL",
            "targets": [target("FIRST_RESPONSE", 480)],
        },
        "channels": ["email", "web"],
        "services": ["remote_diagnosis", "upgrades"],
        "contact_rule": "unlimited",
        "quota": {"yearly": 40, "rollover": True, "when_exhausted": "billable"},
        "pricing": {
            "first_year_percent": Decimal("12"),
            "later_years_percent": Decimal("20"),
            "upgrade_percent": Decimal("30"),
        },
    },
    {
        "code": "infotecs-premium",
        "name": "Infotecs Premium",
        "description": (
            "Infotecs Premium, on top of a valid Basic agreement: critical cases answered "
            "within an hour around the clock, emergencies included and billed per call."
        ),
        "sla_policy": {
            "calendar": _MOSCOW,
            "priorities": _INFOTECS_PRIORITIES,
            "default_priority": "NORMAL",
            "targets": [
                target("FIRST_RESPONSE", 60, business=False, priorities=["CRITICAL"]),
                target("FIRST_RESPONSE", 240, priorities=["LOW", "NORMAL", "HIGH"]),
            ],
        },
        "channels": ["email", "phone", "web"],
        "services": [
            "remote_diagnosis",
            "emergency",
            "emergency_billed",
            "on_site",
            "upgrades",
        ],
        "contact_rule": "unlimited",
        "prerequisite": "infotecs-basic",
    },
]

PRODUCT: dict[str, Any] = {
    "code": "tideway",
    "name": "Tideway",
    "description": "Water network modelling suite.",
    "majors": [
        {"major": 1, "ga": "2019-01-15", "eos": "2021-06-30", "releases": ["1.4"]},
        {"major": 2, "ga": "2021-03-01", "eos": "2024-06-30", "releases": ["2.0", "2.3"]},
        {"major": 3, "ga": "2024-09-01", "eos": None, "releases": ["3.0", "3.1"]},
    ],
}

# name, region, timezone, language, standing, plans, contacts (email, name, is_admin), expired
CUSTOMERS: list[dict[str, Any]] = [
    {
        "name": "Acme Water",
        "external_id": "demo-acme-water",
        "region": "AMERICAS",
        "timezone": "America/Chicago",
        "language": "en",
        "standing": "good",
        "plans": ["infocare"],
        "contacts": [("ana@acme-water.example", "Ana Alvarez", True)],
    },
    {
        "name": "Borealis Health",
        "external_id": "demo-borealis-health",
        "region": "AMERICAS",
        "timezone": "America/New_York",
        "language": "en",
        "standing": "good",
        "plans": ["infracare"],
        "contacts": [
            ("bo@borealis.example", "Bo Berg", True),
            ("ben@borealis.example", "Ben Brooks", False),
        ],
    },
    {
        "name": "Cobalt Logistics",
        "external_id": "demo-cobalt-logistics",
        "region": "EMEA",
        "timezone": "Europe/Amsterdam",
        "language": "nl",
        "standing": "good",
        "plans": ["invantive-subscription"],
        "contacts": [("cora@cobalt.example", "Cora de Vries", True)],
    },
    {
        "name": "Delta Secure",
        "external_id": "demo-delta-secure",
        "region": "EMEA",
        "timezone": "Europe/Berlin",
        "language": "en",
        "standing": "good",
        "plans": ["infotecs-basic", "infotecs-premium"],
        "contacts": [("dan@delta.example", "Dan Dietrich", True)],
    },
    {
        "name": "Echo Mining",
        "external_id": "demo-echo-mining",
        "region": "APAC",
        "timezone": "Australia/Perth",
        "language": "en",
        "standing": "good",
        "plans": ["infotecs-basic"],
        "expired": True,
        "contacts": [("eve@echo.example", "Eve Evans", True)],
    },
    {
        "name": "Fjord Analytics",
        "external_id": "demo-fjord-analytics",
        "region": "EMEA",
        "timezone": "Europe/Oslo",
        "language": "en",
        "standing": "suspended",
        "plans": ["infocare"],
        "contacts": [("finn@fjord.example", "Finn Fjeld", True)],
    },
]

COMMENCED_DAYS_AGO = 60
LICENSE_PRICE = Decimal("10000")
