"""The REST channel of the contract (POST /webhooks/rest/webhook), with its input checked.

Rasa's own RestInput answers a JSON array with a 500 and files a message without a
sender under the shared id "default". Here a malformed request gets a 400 that says
what is wrong, and control characters are dropped before the text reaches the bot.
"""

import re
from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

MAX_MESSAGE_CHARACTERS = 10_000
MAX_SENDER_CHARACTERS = 128
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


BadRequest = InvalidUsage  # Sanic's 400; "quiet": a client's mistake is not logged as a server error


def _body(request: Request) -> Dict[Text, Any]:
    if not isinstance(request.json, dict):
        raise BadRequest('Send a JSON object: {"sender": "<id>", "message": "<text>"}.')
    return request.json


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"  # keeps the contract's URL

    async def _extract_sender(self, request: Request) -> Optional[Text]:
        sender = _body(request).get("sender")
        if isinstance(sender, int) and not isinstance(sender, bool):
            sender = str(sender)
        if not isinstance(sender, str) or not sender.strip():
            raise BadRequest('"sender" is required: a non-empty string that identifies the conversation.')
        if len(sender) > MAX_SENDER_CHARACTERS or CONTROL_CHARACTERS.search(sender):
            raise BadRequest(f'"sender" must be at most {MAX_SENDER_CHARACTERS} printable characters.')
        return sender

    def _extract_message(self, request: Request) -> Optional[Text]:
        message = _body(request).get("message")
        if not isinstance(message, str):
            raise BadRequest('"message" is required and must be a string.')
        if len(message) > MAX_MESSAGE_CHARACTERS:
            raise PayloadTooLarge(f'"message" is longer than {MAX_MESSAGE_CHARACTERS} characters.')
        return CONTROL_CHARACTERS.sub(" ", message)

    def _extract_input_channel(self, request: Request) -> Text:
        return self.name()  # the channel is this one, whatever the body claims

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None
