"""Concludes the assessment: sets the outcome slots and sends the card."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.channel_capabilities import shows_custom_payloads
from actions.findings import details_from, findings_from
from triage import engine
from triage.card import build_card, card_as_text


class ActionGiveAssessment(Action):
    def name(self) -> Text:
        return "action_give_assessment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        assessment = engine.assess(findings_from(tracker), details_from(tracker))
        if tracker.get_slot("question_style") in ("second_person", "second_person_other"):
            # someone else's warning sign in this very message: say so before the card
            dispatcher.utter_message(response="utter_other_person_needs_a_check")
        card = build_card(assessment, about=tracker.get_slot("about_person"))
        texts = card_as_text(card)
        for text in texts:
            dispatcher.utter_message(text=text)
        if shows_custom_payloads(tracker):
            # The widget draws the card from this, and leaves out the texts that repeat it.
            dispatcher.utter_message(json_message={**card, "repeated_as_text": texts})
        dispatcher.utter_message(response="utter_offer_summary")
        events: List[EventType] = [
            SlotSet("triage_level", assessment.level),
            SlotSet("likely_causes", assessment.causes),
            SlotSet("assessment_shown", assessment.level),
        ]
        if tracker.active_loop_name:
            # A red flag can conclude in the middle of the questions.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
