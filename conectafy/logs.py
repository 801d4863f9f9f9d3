"""Structured logging for every Conectafy process (JSON lines by default)."""

from __future__ import annotations

import logging
import sys

import structlog

#: Libraries that log one INFO line per request: every Kubernetes and WAHA call (httpx, httpcore) and
#: every liveness probe (aiohttp.access, kopf's health endpoint). Their warnings and errors still show.
CHATTY_LOGGERS = ("httpx", "httpcore", "aiohttp.access")


#: kopf's success lines for handlers that run on every tick or watch event: the timer, and the child
#: event handlers (`heal_*`), which run for every echo of our own writes too.
ROUTINE_HANDLERS = ("Timer ", "Handler 'heal_")


class RoutineSuccessFilter(logging.Filter):
    """Drops kopf's INFO "… succeeded." line of routine handlers: at 500 sessions that is 8 timer lines
    a second at rest and several lines per child while converging. Failures log at WARNING/ERROR and
    still show; so do the change handlers' successes (create, update, delete)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not isinstance(record.msg, str):
            return True
        return not (record.msg.startswith(ROUTINE_HANDLERS) and record.msg.endswith(" succeeded."))


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Route stdlib logging (kopf, uvicorn, httpx) and structlog through one JSON renderer.

    In JSON, an error logged with `exc_info` (`log.exception`, uvicorn's "Exception in ASGI application")
    carries its traceback as text in `exception`; the console renderer prints it itself. Plain text, not
    a dict with frame locals: locals may hold passwords and tokens.
    """
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    tracebacks: list[structlog.types.Processor] = (
        [] if fmt == "console" else [structlog.processors.format_exc_info]
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tracebacks, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    kopf_objects = logging.getLogger("kopf.objects")
    if not any(isinstance(existing, RoutineSuccessFilter) for existing in kopf_objects.filters):
        kopf_objects.addFilter(RoutineSuccessFilter())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
