"""Fills finding slots from every user message (custom slot mapping, runs each turn).

Sources, all merged through the engine: entities from FindingExtractor (any finding,
with yes / no / unsure), a stated duration, and a yes / no / not sure (the intent, or
how the reply opens) that answers the question the form asked. A red flag sets the
outcome slots at once. A question whose replies are not understood three times is recorded
as "unsure", which the engine treats with caution, so nobody is asked forever.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.findings import DETAILS_SLOT, FORM_NAME, details_from, findings_from
from triage import engine

ANSWER_INTENTS = {"affirm": "yes", "deny": "no", "unsure": "unsure"}
UNANSWERED_SLOT = "unanswered_replies"
REPLIES_BEFORE_UNSURE = 3


def answers_in_message(message: Dict[Text, Any], requested: Any) -> Dict[str, List[str]]:
    """Every answer the latest message gives, per finding (several if it contradicts itself)."""
    kb = engine.load_knowledge()
    answers: Dict[str, List[str]] = {}
    for entity in message.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name == "duration":
            try:
                value = engine.duration_answer(float(value))
            except (TypeError, ValueError):
                continue
        if name in kb.findings:
            answers.setdefault(name, []).append(value)

    if requested in kb.findings:
        # How the reply opens ("no, just sore") is literal; the intent is a model's guess.
        replies = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "answer"]
        intent = (message.get("intent") or {}).get("name")
        if not replies and intent in ANSWER_INTENTS:
            replies = [ANSWER_INTENTS[intent]]
        for reply in replies:
            # "yes" to "how long?" tells us nothing: assume the cautious case
            answers.setdefault(requested, []).append(reply if reply in kb.answers(requested) else "unsure")
    return answers


def _looks_like_a_reply(message: Dict[Text, Any]) -> bool:
    """A reply about symptoms (not a question or small talk) that answered nothing."""
    return (message.get("intent") or {}).get("name") == "describe_symptoms"


class ActionExtractFindings(Action):
    def name(self) -> Text:
        return "action_extract_findings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        requested = tracker.get_slot("requested_slot") if tracker.active_loop_name == FORM_NAME else None
        findings = findings_from(tracker)
        events: List[EventType] = []

        answers_found = answers_in_message(tracker.latest_message, requested)
        if requested and requested not in answers_found and _looks_like_a_reply(tracker.latest_message):
            unanswered = (tracker.get_slot(UNANSWERED_SLOT) or 0) + 1
            if unanswered >= REPLIES_BEFORE_UNSURE:
                answers_found[requested], unanswered = ["unsure"], 0
            events.append(SlotSet(UNANSWERED_SLOT, unanswered))
        elif requested in answers_found and tracker.get_slot(UNANSWERED_SLOT):
            events.append(SlotSet(UNANSWERED_SLOT, 0))

        for name, answers in answers_found.items():
            answer = engine.merge_answers(findings[name], engine.most_cautious(name, answers), name)
            if answer and answer != findings[name]:
                findings[name] = answer
                events.append(SlotSet(name, answer))

        details = details_from(tracker)
        new_details = [
            entity["value"]
            for entity in tracker.latest_message.get("entities") or []
            if entity.get("entity") == "detail" and entity.get("value") not in details
        ]
        if new_details:
            details = list(dict.fromkeys(details + new_details))
            events.append(SlotSet(DETAILS_SLOT, details))

        red_flag_level = engine.red_flag_level(findings)
        if red_flag_level and red_flag_level != tracker.get_slot("triage_level"):
            assessment = engine.assess(findings, details)
            events += [
                SlotSet("triage_level", assessment.level),
                SlotSet("likely_causes", assessment.causes),
            ]
        return events
