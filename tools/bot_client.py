"""Talks to a running bot exactly as shared/triage-contract.md describes: the REST channel
to send messages, the token-protected tracker API to read the outcome slots."""

from dataclasses import dataclass
from typing import List, Optional

import requests

TIMEOUT = 30  # seconds per HTTP request


@dataclass
class BotClient:
    url: str
    token: Optional[str] = None
    timeout: float = TIMEOUT

    def post(self, sender: str, text: str, message_id: Optional[str] = None) -> requests.Response:
        """Posts one message to the REST channel, whatever the answer (for tests of errors).
        With `message_id`, sending it again is answered without being handled twice."""
        body = {"sender": sender, "message": text}
        if message_id is not None:
            body["message_id"] = message_id
        return requests.post(f"{self.url.rstrip('/')}/webhooks/rest/webhook", json=body, timeout=self.timeout)

    def send(self, sender: str, text: str, message_id: Optional[str] = None) -> List[dict]:
        """Posts one message to the REST channel; returns the bot's messages."""
        response = self.post(sender, text, message_id)
        response.raise_for_status()
        return response.json() or []

    def tracker(self, sender: str) -> dict:
        params = {"token": self.token} if self.token else {}
        response = requests.get(
            f"{self.url.rstrip('/')}/conversations/{sender}/tracker", params=params, timeout=self.timeout
        )
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> dict:
        return self.tracker(sender).get("slots") or {}


def bot_texts(messages: List[dict]) -> List[str]:
    """The text of each bot message; a custom payload (the widget's card) as a marker."""
    texts = []
    for message in messages:
        if message.get("text"):
            texts.append(message["text"])
        elif message.get("custom") is not None:
            texts.append("[card]")
    return texts
