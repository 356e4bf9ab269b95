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


def make_ask_action(finding: Text) -> type:
    """An Action class named action_ask_<finding>, the name Rasa forms look for."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        question = load_knowledge().findings[finding]["question"]
        buttons = DURATION_BUTTONS if finding == "duration" else YES_NO_BUTTONS
        dispatcher.utter_message(text=question, buttons=buttons)
        return []

    return type(f"Ask_{finding}", (Action,), {"name": lambda self: f"action_ask_{finding}", "run": run})


# rasa_sdk registers every Action subclass it finds: one per question the form can ask.
ASK_ACTIONS = [make_ask_action(finding) for finding in load_knowledge().asked_findings()]
