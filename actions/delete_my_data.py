"""Erases the conversation when the person asks. The tracker store does the erasing
(stores/erasable_sql_tracker_store.py), because Rasa saves a tracker after its actions run."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions.channel_capabilities import shows_custom_payloads
from stores.erasable_sql_tracker_store import ERASE_ACTION


class ActionDeleteMyData(Action):
    def name(self) -> Text:
        return ERASE_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(
            text="Done: I've deleted this conversation and everything you told me in it. "
            "Nothing of it is kept. If you'd like a new check, tell me what your muscles are doing."
        )
        if shows_custom_payloads(tracker):
            dispatcher.utter_message(json_message={"conversation_deleted": True})  # the widget forgets too
        return [Restarted()]
