"""Slack: Rasa's connector (signed requests only), answering each event once.

Slack re-sends an event it thinks was not delivered (header X-Slack-Retry-Num); Rasa
ignores only timeout retries, so other retries were answered twice. Here every event
id is handled once. With `redis_url` (the cluster sets it) the event ids are kept in
Redis, so a retry that reaches another Rasa process is recognised too; without it they
are kept in this process's memory. `api_base_url` (optional) says where the Web API
lives; tests point it at a local recorder.
"""

from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import redis

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

REMEMBERED_EVENTS = 10_000
REMEMBERED_SECONDS = 24 * 60 * 60  # Slack stops retrying after about an hour
REDIS_KEY_PREFIX = "twitch-triage:slack-event:"


class SlackChannel(SlackInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SlackChannel":
        channel = super().from_credentials(credentials)
        channel.api_base_url = (credentials or {}).get("api_base_url")
        redis_url = (credentials or {}).get("redis_url")
        channel.redis = redis.Redis.from_url(redis_url, socket_timeout=5) if redis_url else None
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_base_url: Optional[Text] = None
        self.redis: Optional[redis.Redis] = None
        self._seen_events: "OrderedDict[Text, None]" = OrderedDict()

    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        bot = SlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)
        if self.api_base_url:
            bot.client = AsyncWebClient(self.slack_token, base_url=self.api_base_url, proxy=self.proxy)
        return bot

    def _first_time(self, request: Request) -> bool:
        body = request.json if request.headers.get("content-type") == "application/json" else None
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if not event_id:
            return True
        if self.redis is not None:  # SET NX: of several processes, exactly one gets True
            return bool(self.redis.set(REDIS_KEY_PREFIX + event_id, 1, nx=True, ex=REMEMBERED_SECONDS))
        if event_id in self._seen_events:
            return False
        self._seen_events[event_id] = None
        if len(self._seen_events) > REMEMBERED_EVENTS:
            self._seen_events.popitem(last=False)
        return True

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: Text,
        sender_id: Optional[Text],
        metadata: Optional[Dict],
    ) -> Any:
        if not self._first_time(request):
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        return await super().process_message(request, on_new_message, text, sender_id, metadata)
