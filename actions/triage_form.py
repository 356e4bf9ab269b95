"""Validation of triage_form: the engine decides which question, if any, comes next.

A single question requests its finding's slot; a grouped one (contract section 4)
requests the bot's own slot `grouped_answer`, never filled, with `asked_findings` naming
what the question covers and `question_group` choosing its wording.
"""

from typing import List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.extract_findings import STYLE_SLOT
from actions.findings import (
    ASKED_SLOT,
    GROUP_SLOT,
    GROUPED_SLOT,
    ITEMS_SLOT,
    OPEN_SLOT,
    details_from,
    findings_from,
)
from triage import engine


# Replies to the open question, answered or not, and a hello or thanks in between: the form
# asks again rather than stepping aside (a rejected form cannot be the next action, so a
# rule could only fall silent). Any other intent is a detour that a rule handles
# (data/rules.yml, data/privacy.yml).
REPLY_INTENTS = {"describe_symptoms", "affirm", "deny", "unsure", "ask_why", "nlu_fallback", "greet", "thank"}


def _next(tracker: Tracker):
    return engine.next_questions(findings_from(tracker), details_from(tracker))


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
        group, asked = _next(tracker)
        if group:
            return [GROUPED_SLOT]
        return asked

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # Slots are already filled and checked by action_extract_findings. Setting the
        # question's wording keeps the form from rejecting a reply that answered nothing
        # (a question back, "not sure" to a red flag, a story): it asks again instead of
        # falling silent.
        if (tracker.latest_message.get("intent") or {}).get("name") not in REPLY_INTENTS:
            return []  # a detour (a question, "delete my data", goodbye): the form steps aside for its rule
        group, asked = _next(tracker)
        style = tracker.get_slot(STYLE_SLOT) or "self"
        wording: Optional[Text] = f"{group}|{style}" if group else None
        return [
            SlotSet(STYLE_SLOT, style),
            SlotSet(ASKED_SLOT, asked if group else None),
            SlotSet(GROUP_SLOT, wording),
            SlotSet(ITEMS_SLOT, items_text(asked) if group else None),
            SlotSet(OPEN_SLOT, "+".join(sorted(asked)) if group else None),
        ]


def items_text(findings: List[Text]) -> Text:
    """The list a grouped question shows, one line per finding, worded in knowledge.yml."""
    kb = engine.load_knowledge()
    return "\n".join(f"• {kb.findings[name]['item']}" for name in findings)
