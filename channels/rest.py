"""The REST channel of the contract (POST /webhooks/rest/webhook), with its input checked.

Rasa's own RestInput answers a JSON array with a 500 and files a message without a
sender under the shared id "default". Here a malformed request gets a 400 that says
what is wrong, and control characters are dropped before the text reaches the bot.

A client may add `"message_id"`: a message sent again with the same id (after a timeout
or a server crash) is stored once and answered with the replies it got the first time
(rasa_patches/resend_once.py).
"""

import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

MAX_MESSAGE_CHARACTERS = 10_000
MAX_SENDER_CHARACTERS = 128
MAX_MESSAGE_ID_CHARACTERS = 128
_CLIENT_MESSAGE_ID = "_client_message_id"  # carried from the request to the UserMessage
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
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        message_id = _client_message_id(request)
        if message_id:
            metadata[_CLIENT_MESSAGE_ID] = message_id
        return metadata or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_client_message_id(message: UserMessage) -> Any:
            if message.metadata and _CLIENT_MESSAGE_ID in message.metadata:
                message.message_id = message.metadata.pop(_CLIENT_MESSAGE_ID)
                message.metadata = message.metadata or None
            return await on_new_message(message)

        return super().blueprint(with_client_message_id)


def _client_message_id(request: Request) -> Optional[Text]:
    message_id = _body(request).get("message_id")
    if message_id is None:
        return None
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if (
        not isinstance(message_id, str)
        or not message_id.strip()
        or len(message_id) > MAX_MESSAGE_ID_CHARACTERS
        or CONTROL_CHARACTERS.search(message_id)
    ):
        raise BadRequest(
            f'"message_id" must be a non-empty string of at most {MAX_MESSAGE_ID_CHARACTERS} printable characters.'
        )
    return message_id  # compared within one conversation only
