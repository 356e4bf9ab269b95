"""Clears the conversation when the person asks to start again."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher


class ActionStartOver(Action):
    def name(self) -> Text:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(
            text="Let's start again; I've cleared what you told me. What are your muscles doing?"
        )
        return [Restarted()]
