"""The channel plugin contract: one class per kind (email, webhook, slack, ...), found
through a registry by the kind stored on each delivery row.

A channel gets a batch of claimed deliveries of its kind, may load what they need in one
query (:meth:`Channel.prepare`), delivers one at a time (:meth:`Channel.deliver`, no
database access: it runs concurrently) and may react to the outcomes in the worker's
recording transaction (:meth:`Channel.after`, e.g. disabling an endpoint that answered 410).

Channels know nothing of routing: an event a channel raises (``webhook_endpoint.disabled``)
goes to :attr:`ChannelServices.raise_event`, which the application wires to routing. The
plugins register themselves on import; :func:`notify.channels.registry.build_channels`
imports them all and builds one of each.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent

if TYPE_CHECKING:
    from notify.clients.contracts import ContractsClient
    from notify.config import NotifySettings


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed delivery row, as a worker holds it."""

    id: uuid.UUID
    channel: str
    target: str
    endpoint_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    event_id: str
    event_source: str
    event_type: str
    event_time: datetime
    payload: dict[str, Any]
    attempts: int
    schedule_step: int


@dataclass(slots=True)
class Outcome:
    """What one attempt came to."""

    ok: bool
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None
    # The target asked us to wait (Retry-After, Discord's retry_after).
    retry_after: timedelta | None = None
    # Retrying cannot help (410 Gone, a disabled endpoint, a refused address): failed at once.
    permanent: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failure(cls, error: str, *, permanent: bool = False, **kwargs: Any) -> Outcome:
        return cls(ok=False, error=error, permanent=permanent, **kwargs)


class MailTransport(Protocol):
    """Sends a composed mail (:class:`notify.mail.sender.MailSender` over SMTP);
    ``envelope_from``, when given, is the envelope sender (VERP, :mod:`notify.mail.verp`)."""

    async def send(self, message: EmailMessage, envelope_from: str | None = None) -> Outcome: ...


# Routes an event a channel raised, in the session of the channel's recording transaction.
EventSink = Callable[[AsyncSession, CloudEvent], Awaitable[object]]


@dataclass(slots=True)
class ChannelServices:
    """What channels may use: built once per worker, in the lifespan."""

    settings: NotifySettings
    http: httpx.AsyncClient
    raise_event: EventSink
    contracts: ContractsClient | None = None
    mail: MailTransport | None = None


class Channel(ABC):
    kind: ClassVar[str]
    registry: ClassVar[dict[str, type[Channel]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            Channel.registry[kind] = cls

    def __init__(self, services: ChannelServices) -> None:
        self.services = services
        self.settings = services.settings

    async def prepare(self, session: AsyncSession, jobs: Sequence[DeliveryJob]) -> None:  # noqa: B027
        """Loads what a batch of this kind needs (endpoints, channels) in one query."""

    @abstractmethod
    async def deliver(self, job: DeliveryJob) -> Outcome:
        """One attempt. Never raises for a target's failure: it returns the outcome."""

    async def after(  # noqa: B027
        self, session: AsyncSession, results: Sequence[tuple[DeliveryJob, Outcome]]
    ) -> None:
        """Reacts to this batch's outcomes inside the recording transaction."""


def excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
