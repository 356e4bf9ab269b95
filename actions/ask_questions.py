"""The form's follow-up questions (action_ask_<finding>), worded in triage/knowledge.yml."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from triage.engine import load_knowledge

YES_NO_BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "Not sure", "payload": "/unsure"},
]
# Durations as days, which the knowledge file's threshold turns into short or long.
DURATION_BUTTONS = [
    {"title": "A few days", "payload": '/describe_symptoms{"duration": "4"}'},
    {"title": "1 to 3 weeks", "payload": '/describe_symptoms{"duration": "14"}'},
    {"title": "A month or more", "payload": '/describe_symptoms{"duration": "45"}'},
    {"title": "Not sure", "payload": "/unsure"},
]


class AskFinding(Action):
    """Asks about one finding; a subclass per finding is made below."""

    finding: Text = ""

    def name(self) -> Text:
        return f"action_ask_{self.finding}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        question = load_knowledge().findings[self.finding]["question"]
        buttons = DURATION_BUTTONS if self.finding == "duration" else YES_NO_BUTTONS
        dispatcher.utter_message(text=question, buttons=buttons)
        return []


# rasa_sdk registers every Action subclass it can find, so one per asked finding.
for _finding in load_knowledge().asked_findings():
    type(f"Ask_{_finding}", (AskFinding,), {"finding": _finding})
