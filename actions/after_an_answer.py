"""After answering a question outside the assessment, starts the assessment when the same
message also described symptoms ("my thigh twitches for a week, should I take magnesium?"):
the answer alone would leave a description without its safety check."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.findings import FORM_NAME, finding_names

DESCRIBES = {"subject"}  # whose twitching it is: the message spoke of twitching


class ActionCheckAfterAnswer(Action):
    def name(self) -> Text:
        return "action_check_after_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        described = bool(entities & (DESCRIBES | set(finding_names())))
        if described and not tracker.get_slot("triage_level") and not tracker.active_loop_name:
            return [FollowupAction(FORM_NAME)]
        return []
