"""Logging set-up: plain lines for people, one JSON object a line for log pipelines.

Records go through a queue to a listener thread that formats and writes them (the logging
cookbook's "Dealing with handlers that block"): a slow log pipe never stalls the event loop,
and the loop does not pay for the write.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
from datetime import UTC, datetime

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


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
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _Handoff(logging.handlers.QueueHandler):
    """Puts records on the queue as they are: the listener's handler formats them."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """Keep the record whole (QueueHandler would format it here, on the caller's thread).

        Safe because our messages' arguments are ids, counts and names, which do not change
        before the listener formats them.
        """
        return record


def configure(json_lines: bool) -> logging.handlers.QueueListener:
    """Install the root handler once, at start-up; the listener is stopped (and drained) at exit."""
    # No format here names a thread, a process or a source line; the logging docs' optimisations
    # skip collecting them.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    stream = logging.StreamHandler()
    stream.setFormatter(JsonFormatter() if json_lines else logging.Formatter(PLAIN))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.handlers[:] = [_Handoff(records)]
    root.setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # request lines repeat the metrics
    return listener
