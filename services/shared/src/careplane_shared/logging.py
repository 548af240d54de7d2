"""JSON logs with the request id on every line (structlog).

Every line goes through the standard library's logging (so third-party records share the
format, and tests capture ours with ``caplog``), rendered once by structlog's formatter.
What a line costs is paid on every request (the access log): see ``configure_logging``.
"""

from __future__ import annotations

import logging
import sys

import structlog

from careplane_shared.context import request_id_var


def _add_request_id(
    _: object, __: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    request_id = request_id_var.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


# Libraries' INFO lines that repeat what is logged anyway, on every request: httpx's line
# per outgoing call (the receiving piece logs the call, with the same request id), and
# aiosmtpd's lines per SMTP session of the dev mail sink (notify logs each delivery).
_QUIETER = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "mail.log": logging.WARNING}


def _skip_record_lookups() -> None:
    """No line shows the source line, thread or process that logged it (the service and
    the request id say what matters), so the standard library is told not to look them up
    for every record: walking the stack for the caller was a third of a line's cost.
    ``logging._srcfile = None`` is the switch logging's own source documents for it."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            # Drop disabled levels first: the rest of the chain costs time on every request.
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    _skip_record_lookups()
    for name, quieter in _QUIETER.items():
        logging.getLogger(name).setLevel(quieter)
    # uvicorn's access log duplicates ours; keep its error log.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
