"""Chat tools: Slack, Microsoft Teams (Workflows), Mattermost, Discord, Google Chat.

Each is a plugin over the same :class:`~notify.chat.message.ChatMessage`; they differ in
the payload and in how they say "slow down" (Discord: 429 with ``retry_after`` in the body)
or "accepted" (Teams Workflows: 202)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify.channels.base import Channel, DeliveryJob, Outcome
from notify.channels.http import post
from notify.chat import message as render
from notify.encryption import SecretUnreadable
from notify.models import ChatChannel


class ChatToolChannel(Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._channels: dict[uuid.UUID, ChatChannel] = {}

    async def prepare(self, session: AsyncSession, jobs: Sequence[DeliveryJob]) -> None:
        ids = {job.endpoint_id for job in jobs if job.endpoint_id is not None}
        rows = await session.scalars(select(ChatChannel).where(ChatChannel.id.in_(ids)))
        self._channels = {row.id: row for row in rows}

    def url_for(self, url: str, message: render.ChatMessage) -> str:
        return url

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        raise NotImplementedError

    def read_answer(self, outcome: Outcome, body: str) -> Outcome:
        return outcome

    async def deliver(self, job: DeliveryJob) -> Outcome:
        channel = self._channels.get(job.endpoint_id) if job.endpoint_id else None
        if channel is None:
            return Outcome.failure("The chat channel was deleted.", permanent=True)
        if channel.disabled_at is not None:
            return Outcome.failure(
                f"The chat channel is disabled: {channel.disabled_reason}", permanent=True
            )
        try:
            # Stored sealed: the URL is a credential of its own.
            url = self.settings.secret_box().open(channel.webhook_url)
        except SecretUnreadable as exc:
            return Outcome.failure(str(exc))
        message = render.message_for(
            job.event_type, job.payload.get("data", {}), self.settings.portal_url
        )
        body = json.dumps(self.payload(message), ensure_ascii=False).encode()
        outcome, response = await post(
            self.services.http,
            self.url_for(url, message),
            body,
            {"content-type": "application/json"},
            self.settings,
        )
        return self.read_answer(outcome, response.text if response is not None else "")

    async def after(
        self, session: AsyncSession, results: Sequence[tuple[DeliveryJob, Outcome]]
    ) -> None:
        for job, outcome in results:
            if "disable_reason" in outcome.extra and job.endpoint_id:
                await session.execute(
                    update(ChatChannel)
                    .where(ChatChannel.id == job.endpoint_id, ChatChannel.disabled_at.is_(None))
                    .values(disabled_at=func.now(), disabled_reason=outcome.extra["disable_reason"])
                )


class SlackChannel(ChatToolChannel):
    kind = "slack"

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        return render.slack(message)


class MattermostChannel(ChatToolChannel):
    kind = "mattermost"

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        return render.mattermost(message)


class TeamsChannel(ChatToolChannel):
    """A Teams Workflows webhook answers 202 Accepted: the flow runs later (a 2xx is ok)."""

    kind = "teams"

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        return render.teams(message)


class DiscordChannel(ChatToolChannel):
    kind = "discord"

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        return render.discord(message)

    def url_for(self, url: str, message: render.ChatMessage) -> str:
        # wait=true: Discord answers 200 with the message once it is stored, not 204 at once.
        return _with_query(url, wait="true")

    def read_answer(self, outcome: Outcome, body: str) -> Outcome:
        if outcome.status_code == 429 and outcome.retry_after is None:
            try:
                seconds = float(json.loads(body).get("retry_after"))
            except (ValueError, TypeError, AttributeError):
                return outcome
            outcome.retry_after = timedelta(seconds=seconds)
        return outcome


class GoogleChatChannel(ChatToolChannel):
    kind = "google_chat"

    def payload(self, message: render.ChatMessage) -> dict[str, Any]:
        return render.google_chat(message)

    def url_for(self, url: str, message: render.ChatMessage) -> str:
        if message.thread_key is None:
            return url
        return _with_query(url, messageReplyOption="REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))
