"""Logging set-up: plain lines for people, one JSON object a line for log pipelines."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

from aiohttp.http_exceptions import HttpProcessingError

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The webhook event being handled: set by the adapters, inherited by the tasks they start, and
# written as `event_id` on every JSON line logged meanwhile.
EVENT_ID: ContextVar[str | None] = ContextVar("supportbot_event_id", default=None)


class EventIdFilter(logging.Filter):
    """Stamps each record with the event being handled when it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `event_id` (None outside an event); never drops a record."""
        record.event_id = EVENT_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line; messages carry event ids and outcomes, never customer text."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as JSON."""
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event_id = getattr(record, "event_id", None)
        if event_id is not None:
            entry["event_id"] = event_id
        if record.exc_info or record.exc_text:
            entry["error"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


# Credentials a library might put in a message of its own (Slack tokens, a Socket Mode ticket,
# a bearer token, a database URL's password): hidden from every line, whoever logged it.
_CREDENTIALS = re.compile(
    r"(?P<slack>xox[a-z]-(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{8,}|xapp-(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{8,})"
    r"|(?P<ticket>ticket=)[^&\s\"']+"
    r"|(?P<bearer>(?i:bearer)[\s:]+)[A-Za-z0-9._~+/=-]{12,}"
    r"|(?P<user>://[^/\s:@]*:)[^\s/]+(?=@[^@\s/]+(?:[/:?\s]|$))"
)


def _redacted(text: str) -> str:
    """`text` with each credential replaced by *** (what names it, such as Bearer, kept)."""
    return _CREDENTIALS.sub(
        lambda found: (found.group("ticket") or found.group("bearer") or found.group("user") or "") + "***", text
    )


def without_credentials(record: logging.LogRecord) -> bool:
    """Replace any credential in the record's message (and traceback) with ***."""
    try:
        message = record.getMessage()
    except Exception:
        # A malformed log call: logging would print its arguments, which may hold a credential.
        message = f"malformed log call: {record.msg!s}"[:200]
        record.msg, record.args = message, None
    if _CREDENTIALS.search(message):
        record.msg, record.args = _redacted(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text and _CREDENTIALS.search(record.exc_text):
        record.exc_text = _redacted(record.exc_text)
    return True


def without_request_text(record: logging.LogRecord) -> bool:
    """aiohttp's record of a request it could not parse, cut to the error's type: its message
    and traceback quote the offending line, which may be a signature header or a body."""
    if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
        error = record.exc_info[1]
        record.msg, record.args, record.exc_info, record.exc_text = (
            "malformed HTTP request refused (%s, HTTP %s)",
            (type(error).__name__, error.code),
            None,
            None,
        )
    return True


def configure(json_lines: bool) -> None:
    """Install the root handler once, at start-up."""
    # No format here names a thread, a process or a source line; the logging docs' optimisations
    # skip collecting them.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(PLAIN))
    handler.addFilter(EventIdFilter())
    handler.addFilter(without_credentials)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # request lines repeat the metrics
    logging.getLogger("aiohttp.server").addFilter(without_request_text)
