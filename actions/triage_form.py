"""Validation of triage_form: the engine decides which question, if any, comes next."""

from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

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

    async def validate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # Slots are already filled and checked by action_extract_findings.
        return []
