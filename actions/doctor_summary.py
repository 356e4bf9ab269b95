"""Sends the summary for the doctor (triage/summary.py), built from this conversation alone.
"Delete my data" erases the conversation it is built from, so nothing of it remains."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.channel_capabilities import shows_custom_payloads
from actions.findings import details_from, findings_from
from triage.summary import doctor_summary, summary_request_words


class ActionDoctorSummary(Action):
    def name(self) -> Text:
        return "action_doctor_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        words = summary_request_words(tracker.events)
        if not words:
            dispatcher.utter_message(response="utter_nothing_to_summarise")
            return []
        summary = doctor_summary(
            findings_from(tracker), details_from(tracker), words, about=tracker.get_slot("about_person")
        )
        dispatcher.utter_message(text=summary)
        if shows_custom_payloads(tracker):
            dispatcher.utter_message(json_message={"type": "summary", "text": summary})  # the widget's print view
        return []
