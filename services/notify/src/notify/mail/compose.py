"""Mail from templates: Jinja2 per event type and language (en, nl), plain text and HTML,
threaded per case.

Each template pair is ``templates/<lang>/<name>.txt.j2`` (first line: the subject; then a
blank line; then the body; the two are split before rendering, so no value can move text
from one to the other, and the subject is always one line) and
``templates/<lang>/<name>.html.j2`` (autoescaped).

Threading: every case has a stable root Message-ID, ``<case.<number>@<domain>>``, which the
case-number mail itself carries; every later mail about the case names the root in
``In-Reply-To`` and ``References``, so mail clients keep a case's mails in one thread even
when they arrive out of order. Other Message-IDs come from the delivery id, so a retry
resends the very same message and the receiver can drop the copy.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)

from notify.mail.policy import MAIL_POLICY

# What templates may use; an event without one of these renders it as None.
CONTEXT_KEYS = (
    # cases
    "number",
    "subject",
    "status",
    "previous_status",
    "priority",
    "body",
    "reason",
    "resolution",
    "metric",
    "due_at",
    "assignee_id",
    # lifecycle announcements
    "product_name",
    "major",
    "milestone",
    "milestone_date",
    "previous_date",
    # maintenance windows
    "title",
    "description",
    "kind",
    "starts_at",
    "ends_at",
    "starts_local",
    "ends_local",
    "timezone",
    "cancel_reason",
    # staff digests
    "items",
    "held_since",
    # webhook endpoints
    "endpoint_id",
    "endpoint_url",
    "disabled_at",
    "disabled_reason",
    "customer_name",
    # visits and emergencies (notify.oncall_alerts)
    "support_center",
    "location",
    "purpose",
    "declared_by",
    # invitations
    "expires_at",
    "email",
    # the answer to mail from an unknown sender
    "address",
    "support_address",
    "vendor_name",
    # ideas, feature requests and development fixes
    "idea_id",
    "version",
    "fixed_version",
    "issue_key",
    "note",
    "routed_by",
    # satisfaction surveys
    "survey_url",
    # escalations and change requests
    "csm_name",
    "csm_email",
    "decision",
    "requested_priority",
    "previous_priority",
    "motivation",
)


def mail_context(
    data: dict[str, Any], portal_url: str, name: str | None, *, watching: bool = False
) -> dict[str, Any]:
    """What a template renders with: the event's known keys (None when absent), the
    recipient's name and the portal's links."""
    number = data.get("number")
    context = {key: data.get(key) for key in CONTEXT_KEYS}
    context.update(
        name=name,
        watching=watching,
        portal_url=portal_url,
        ticket_url=f"{portal_url.rstrip('/')}/tickets/{number}" if number else portal_url,
    )
    return context


TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    language: str


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship with the code: loaded once, never checked for changes (a stat
        # of the file at every mail otherwise).
        auto_reload=False,
    )
    env.filters["status_label"] = status_label
    env.filters["status_label_nl"] = status_label_nl
    env.filters["long_date"] = long_date
    env.filters["utc_time"] = utc_time
    return env


_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
}


def long_date(value: str | date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``2027-06-30`` as "30 June 2027" (en) or "30 juni 2027" (nl)."""
    if value is None:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    months = _MONTHS.get(lang, _MONTHS[DEFAULT_LANGUAGE])
    return f"{day.day} {months[day.month - 1]} {day.year}"


def utc_time(value: str | datetime | None) -> str:
    """The time of day of a moment, in UTC: ``2027-06-30T14:05:00+02:00`` as "12:05 UTC"."""
    if value is None:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%H:%M} UTC"


def status_label(status: str | None) -> str:
    return (status or "").replace("_", " ").capitalize()


_STATUS_NL = {
    "NEW": "Nieuw",
    "OPEN": "Open",
    "WORKING": "In behandeling",
    "PENDING": "Wacht op u",
    "ESCALATED": "Geëscaleerd",
    "WITH_DEVELOPMENT": "Bij ontwikkeling",
    "CLOSED": "Gesloten",
}


def status_label_nl(status: str | None) -> str:
    return _STATUS_NL.get(status or "", status_label(status))


def language_of(requested: str | None) -> str:
    lang = (requested or DEFAULT_LANGUAGE).lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


# Longest subject we send (and store); RFC 5322 allows 998 characters on a header line.
MAX_SUBJECT_CHARS = 400


def one_line(text: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """Every run of whitespace (CR, LF, tabs, Unicode line separators) as one space."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@cache
def _text_parts(path: str) -> tuple[Template, Template]:
    """A text template split where its source says: the first line is the subject's
    template, what follows the blank line the body's. Split before rendering, so whatever
    a value contains (a blank line in a case's subject) stays inside its own slot."""
    env = environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, path)
    subject, blank, body = source.partition("\n\n")
    if not blank:
        raise ValueError(f"{path}: the subject line must be followed by a blank line")
    text = env.overlay(autoescape=False)  # plain text: nothing to escape
    return text.from_string(subject), text.from_string(body)


def render(name: str, language: str | None, context: dict[str, Any]) -> RenderedMail:
    """Renders one event's mail; a language without this template falls back to English."""
    env = environment()
    lang = language_of(language)
    try:
        subject_template, body_template = _text_parts(f"{lang}/{name}.txt.j2")
        html_template = env.get_template(f"{lang}/{name}.html.j2")
    except TemplateNotFound:
        if lang == DEFAULT_LANGUAGE:
            raise
        return render(name, DEFAULT_LANGUAGE, context)
    context = {**context, "lang": lang}
    return RenderedMail(
        subject=one_line(subject_template.render(context)),
        text=body_template.render(context).strip() + "\n",
        html=html_template.render(context),
        language=lang,
    )


def has_template(name: str) -> bool:
    return (TEMPLATES / DEFAULT_LANGUAGE / f"{name}.txt.j2").exists()


_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


def case_root_id(number: str, domain: str) -> str:
    return f"<case.{_UNSAFE_ID.sub('-', number)}@{domain}>"


def delivery_message_id(delivery_id: uuid.UUID, domain: str) -> str:
    return f"<{delivery_id}@{domain}>"


@dataclass(frozen=True, slots=True)
class Threading:
    message_id: str
    in_reply_to: str | None
    references: str | None


def threading_for(
    delivery_id: uuid.UUID, number: str | None, *, is_case_root: bool, domain: str
) -> Threading:
    if number is None:
        return Threading(delivery_message_id(delivery_id, domain), None, None)
    root = case_root_id(number, domain)
    if is_case_root:
        return Threading(root, None, None)
    return Threading(delivery_message_id(delivery_id, domain), root, root)


def mime_boundary(*contents: str) -> str:
    """A random MIME boundary found in none of ``contents``. "=_" cannot occur in
    quoted-printable or base64 parts; the text parts are checked, so the boundary needs to
    be unlikely, not unguessable (the email package's own is from ``random`` too). Left to
    the email package, a boundary is picked and checked when the message is flattened, with
    a regular expression compiled anew for every message."""
    while True:
        boundary = f"=_{random.getrandbits(128):032x}"
        if not any(boundary in content for content in contents):
            return boundary


def build_message(
    rendered: RenderedMail,
    *,
    sender: str,
    to: list[str],
    threading: Threading,
    date: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
    calendar: dict[str, str] | None = None,
) -> EmailMessage:
    """``calendar`` (``{"ics", "method", "filename"}``) is attached as a text/calendar part."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = one_line(rendered.subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = threading.message_id
    if threading.in_reply_to:
        message["In-Reply-To"] = threading.in_reply_to
    if threading.references:
        message["References"] = threading.references
    # RFC 3834: automatic mail; and ask Exchange not to answer it with out-of-office replies.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in (extra_headers or {}).items():
        message[name] = one_line(value, 998)
    message.set_content(rendered.text)
    message.make_alternative(boundary=mime_boundary(rendered.text, rendered.html))
    message.add_alternative(rendered.html, subtype="html")
    if calendar is not None:
        message.make_mixed(boundary=mime_boundary(rendered.text, rendered.html))
        # As bytes in base64, so the CRLF line ends and the 75-octet folding arrive as written.
        message.add_attachment(
            calendar["ics"].encode(),
            maintype="text",
            subtype="calendar",
            filename=calendar.get("filename", "invite.ics"),
            params={"method": calendar["method"], "charset": "utf-8"},
        )
    # After the body: setting the content replaces every Content-* header.
    message["Content-Language"] = rendered.language
    return message
