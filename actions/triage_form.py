"""Validation of triage_form: the engine decides which question, if any, comes next."""

from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.extract_findings import STYLE_SLOT
from actions.findings import details_from, findings_from
from triage import engine


class ValidateTriageForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        # Only the next useful question; none once the picture is safe to conclude.
        question = engine.next_question(findings_from(tracker), details_from(tracker))
        return [question] if question else []

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # Slots are already filled and checked by action_extract_findings. Confirming the
        # question's wording keeps the form from rejecting a turn that answered nothing
        # (a question back, "not sure" to a red flag, a story): it asks again instead of
        # falling silent.
        return [SlotSet(STYLE_SLOT, tracker.get_slot(STYLE_SLOT))]
