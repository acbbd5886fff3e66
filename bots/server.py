"""The aiohttp application that serves every webhook on one port."""

from __future__ import annotations

import logging

from aiohttp import web

from bots.core import build_conversation
from bots.line import LineChannel
from bots.settings import Settings
from bots.slack import SlackChannel
from handlers.conversation import Conversation

log = logging.getLogger("supportbot")
MAX_BODY_BYTES = 1024 * 1024

CONVERSATION = web.AppKey("conversation", Conversation)
LINE = web.AppKey("line", LineChannel)
SLACK = web.AppKey("slack", SlackChannel)


def create_app(settings: Settings, conversation: Conversation | None = None) -> web.Application:
    """Build the application; channels without credentials are switched off with one log line."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    conversation = conversation or build_conversation(settings)
    app[CONVERSATION] = conversation
    version = conversation.responder.matcher.kb.version

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "knowledge_version": version})

    app.router.add_get("/healthz", healthz)
    if not settings.missing_for_line():
        assert settings.line_channel_secret and settings.line_channel_access_token
        line = LineChannel(
            conversation,
            settings.line_channel_secret,
            settings.line_channel_access_token,
            settings.line_api_base_url,
            reply_timeout=settings.line_reply_timeout,
        )
        app[LINE] = line
        app.router.add_post("/line/webhook", line.webhook)
        app.on_startup.append(line.start)
        app.on_cleanup.append(line.stop)
    if not settings.missing_for_slack():
        assert settings.slack_bot_token and settings.slack_signing_secret
        slack = SlackChannel(
            conversation,
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_api_base_url,
            app_token=settings.slack_app_token,
        )
        app[SLACK] = slack
        app.router.add_post("/slack/events", slack.events)
        app.on_startup.append(slack.start)
        app.on_cleanup.append(slack.stop)
    for platform, missing in (("LINE", settings.missing_for_line()), ("Slack", settings.missing_for_slack())):
        if missing:
            log.warning("%s channel off: %s not set", platform, ", ".join(missing))
    return app


def serve(settings: Settings, host: str, port: int | None) -> int:
    """Run the server until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_app(settings), host=host, port=port or settings.port, print=None)
    return 0
