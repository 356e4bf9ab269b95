"""A message sent again with the same message id is handled once (Rasa 3.6).

A client that timed out, or whose server process died, cannot tell whether its message
was handled; it sends it again with the same `message_id` (the REST channel takes one).
Rasa would handle it a second time. Here, under the conversation's lock, the stored
conversation is checked first: if it already holds a user message with that id, the
replies that followed it are sent back instead, and nothing is stored twice.
Installed by rasa_patches.apply().
"""

from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


class _AlreadyHandled(Exception):
    def __init__(self, replies: List[Dict[str, Any]]) -> None:
        super().__init__("message already handled")
        self.replies = replies


def replies_to(tracker: DialogueStateTracker, message_id: Optional[str]) -> Optional[List[Dict[str, Any]]]:
    """The bot's replies to the user message with `message_id`, or None if there is none.
    Runs for every message, and almost never finds one: the search only compares ids."""
    if not message_id:
        return None
    after: List[BotUttered] = []  # bot messages after the user message being looked at, newest first
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            after.append(event)
        elif isinstance(event, UserUttered):
            if event.message_id == message_id:
                return [_reply(bot) for bot in reversed(after)]
            after = []
    return None


def _reply(event: BotUttered) -> Dict[str, Any]:
    reply = {key: value for key, value in event.data.items() if value}
    if event.text:
        reply["text"] = event.text
    return reply


def install() -> None:
    handle_message = MessageProcessor.handle_message
    handle_message_with_tracker = MessageProcessor._handle_message_with_tracker

    async def _handle_message_with_tracker(
        self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker
    ) -> None:
        replies = replies_to(tracker, message.message_id)
        if replies is not None:
            raise _AlreadyHandled(replies)
        await handle_message_with_tracker(self, message, tracker)

    async def _handle_message(self: MessageProcessor, message: UserMessage) -> Any:
        try:
            return await handle_message(self, message)
        except _AlreadyHandled as handled:
            for reply in handled.replies:
                await message.output_channel.send_response(message.sender_id, dict(reply))
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None

    for name, replacement, original in (
        ("handle_message", _handle_message, handle_message),
        ("_handle_message_with_tracker", _handle_message_with_tracker, handle_message_with_tracker),
    ):
        setattr(replacement, "__wrapped_original__", original)
        setattr(MessageProcessor, name, replacement)
