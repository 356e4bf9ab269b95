"""Erases the conversation when the person asks. The tracker store does the erasing
(stores/erasable_sql_tracker_store.py), because Rasa saves a tracker after its actions run."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions.channel_capabilities import shows_custom_payloads
from triage.vocabulary import ERASE_ACTION


class ActionDeleteMyData(Action):
    def name(self) -> Text:
        return ERASE_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_data_deleted")
        if shows_custom_payloads(tracker):
            dispatcher.utter_message(json_message={"conversation_deleted": True})  # the widget forgets too
        return [Restarted()]
