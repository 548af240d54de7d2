"""CloudEvents 1.0 envelopes in structured JSON mode, one at a time or in a batch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidatorFunctionWrapHandler
from pydantic.functional_validators import WrapValidator

from careplane_shared.tracing import current_trace_context

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
CLOUDEVENTS_BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope in structured JSON mode. ``traceparent`` and
    ``tracestate`` are the Distributed Tracing extension: the trace of the work that wrote
    the event, so what a receiver does with it joins that trace. Other extension attributes
    are kept as they come."""

    model_config = ConfigDict(extra="allow")

    specversion: str = Field(default="1.0", pattern=r"^1\.0$")
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    time: datetime | None = None
    datacontenttype: str | None = "application/json"
    data: Any = None
    traceparent: str | None = Field(default=None, max_length=512)
    tracestate: str | None = Field(default=None, max_length=512)


def new_event(
    *, type: str, source: str, data: Mapping[str, Any], subject: str | None = None
) -> CloudEvent:
    """A new event, carrying the trace context of the span in progress (none while tracing
    is off)."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        subject=subject,
        time=datetime.now(UTC),
        data=dict(data),
        **current_trace_context(),
    )


_BATCH = TypeAdapter(list[CloudEvent])


def _one_or_batch(value: Any, _: ValidatorFunctionWrapHandler) -> CloudEvent | list[CloudEvent]:
    """A JSON array is a batch, anything else a single event: validated as that shape
    alone, so an invalid single event is reported exactly as before batches existed
    (``["body", "id"]``, not once per shape it might have been)."""
    if isinstance(value, list):
        return _BATCH.validate_python(value)
    return CloudEvent.model_validate(value)


OneOrBatch = Annotated[CloudEvent | list[CloudEvent], WrapValidator(_one_or_batch)]
"""A request body holding one structured event (``application/cloudevents+json``) or a
batch of them (``application/cloudevents-batch+json``, a JSON array)."""
