"""The aiohttp application that serves every webhook on one port."""

from __future__ import annotations

import logging

from aiohttp import web

from bots.core import build_conversation
from bots.settings import Settings
from handlers.conversation import Conversation

log = logging.getLogger("supportbot")

CONVERSATION = web.AppKey("conversation", Conversation)


def create_app(settings: Settings) -> web.Application:
    """Build the application; channels without credentials are switched off with one log line."""
    app = web.Application(client_max_size=1024 * 1024)
    conversation = build_conversation(settings)
    app[CONVERSATION] = conversation
    version = conversation.responder.matcher.kb.version

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "knowledge_version": version})

    app.router.add_get("/healthz", healthz)
    for platform, missing in (("LINE", settings.missing_for_line()), ("Slack", settings.missing_for_slack())):
        if missing:
            log.warning("%s channel off: %s not set", platform, ", ".join(missing))
    return app


def serve(settings: Settings, host: str, port: int | None) -> int:
    """Run the server until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_app(settings), host=host, port=port or settings.port, print=None)
    return 0
