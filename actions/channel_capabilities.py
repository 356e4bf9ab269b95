"""What a channel can show, so actions send each channel only what it can display."""

from rasa_sdk import Tracker

# Channels that would show a custom payload as raw JSON: they get text only.
TEXT_ONLY_CHANNELS = {"cmdline", "telegram", "slack"}


def shows_custom_payloads(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() not in TEXT_ONLY_CHANNELS
