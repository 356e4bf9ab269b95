"""Slack: Rasa's connector (signed requests only), answering each event once.

Slack re-sends an event it thinks was not delivered (header X-Slack-Retry-Num); Rasa
ignores only timeout retries, so other retries were answered twice. Here every event
id is handled once. `api_base_url` (optional) says where the Web API lives; tests point
it at a local recorder.
"""

from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

REMEMBERED_EVENTS = 10_000


class SlackChannel(SlackInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SlackChannel":
        channel = super().from_credentials(credentials)
        channel.api_base_url = (credentials or {}).get("api_base_url")
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_base_url: Optional[Text] = None
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
