"""Fills finding slots from every user message (custom slot mapping, runs each turn).

Sources, all merged through the engine: finding entities from FindingExtractor that
belong to the person the assessment is about, a stated duration, and a yes / no / not
sure (the intent, or how the reply opens) that answers the question the form asked.
A red flag sets the outcome slots at once.

How replies are read:
- A question back ("why do you ask?") is not an answer: the question is asked again
  with the reason (question_style "why").
- A first "not sure" to a red-flag question gets one clarifying question with examples
  (question_style "clarify"); a second keeps the cautious answer "unsure".
- A reply that answers nothing gets the question again ("I still need an answer");
  a question whose replies are not understood three times is recorded as "unsure".
- Whose symptoms: the first message that says whose twitching it is sets `about`;
  from then on only that person's findings count (twitch_nlp.experiencer.counts_for).
"""

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.findings import ASKED_SLOT, DETAILS_SLOT, FORM_NAME, GROUP_SLOT, GROUPED_SLOT, details_from, findings_from
from actions.people import person_phrase
from triage import engine
from twitch_nlp.subjects import SELF, SOMEONE, counts_for, is_child, unnamed

ANSWER_INTENTS = {"affirm": "yes", "deny": "no", "unsure": "unsure"}
UNANSWERED_SLOT = "unanswered_replies"
REPLIES_BEFORE_UNSURE = 3
ABOUT_SLOT, PERSON_SLOT, STYLE_SLOT, CLARIFIED_SLOT = "about", "about_person", "question_style", "clarified"
OTHER_PERSON_SLOT = "other_person"  # someone else with a warning sign, told in passing
NOT_FINDINGS = {"answer", "duration", "detail", "asks_back", "subject", "age", "names_all"}


def _entities(message: Dict[Text, Any], name: Text) -> List[Dict[Text, Any]]:
    return [e for e in message.get("entities") or [] if e.get("entity") == name]


def subject_of(message: Dict[Text, Any], known: Optional[Text]) -> Optional[Text]:
    """Who the assessment is about: fixed by the first message that says it, and named by
    the first relation said of someone so far unnamed ("asking for someone ... my aunt").
    An emergency sign happening now to another named person turns the assessment to them:
    "my husband is gasping for air" needs the emergency number whatever was asked before."""
    for entity in _entities(message, "emergency_signs"):
        owner = entity.get("experiencer") or ""
        if (
            entity.get("value") == "yes"
            and entity.get("now")
            and owner.startswith("other:")
            and owner != SOMEONE
            and not counts_for(owner, known)
        ):
            return owner
    if known and not unnamed(known):
        return known
    named = [
        e.get("experiencer")
        for e in message.get("entities") or []
        if (e.get("experiencer") or "").startswith("other:") and e.get("experiencer") != SOMEONE
    ]
    if known and named:
        return named[0]
    if known:
        return known
    subjects = [e.get("value") for e in _entities(message, "subject")]
    return subjects[0] if subjects else None


def answers_in_message(
    message: Dict[Text, Any], requested: Any, subject: Optional[Text], asked: Optional[List[Text]] = None
) -> Dict[str, List[str]]:
    """Every answer the latest message gives, per finding (several if it contradicts itself).
    `asked`: the findings of an open grouped question."""
    kb = engine.load_knowledge()
    answers: Dict[str, List[str]] = {}
    for entity in message.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name == "duration":
            if requested != "duration" and not entity.get("of_twitching"):
                continue  # "on the same pill for years" says nothing of the twitching
            try:
                value = engine.duration_answer(float(value))
            except (TypeError, ValueError):
                continue
        elif name in kb.findings and not counts_for(entity.get("experiencer"), subject):
            continue  # someone else's symptom, told in passing
        if name in kb.findings:
            answers.setdefault(name, []).append(value)

    # How the reply opens ("no, just sore") is literal; the intent is a model's guess.
    replies: List[Optional[str]] = [e.get("value") for e in _entities(message, "answer")]
    intent = (message.get("intent") or {}).get("name")
    if not replies and intent in ANSWER_INTENTS and not _entities(message, "asks_back"):
        replies = [ANSWER_INTENTS[intent]]
    if requested in kb.findings:
        for reply in replies:
            # "yes" to "how long?" tells us nothing: assume the cautious case
            answers.setdefault(requested, []).append(reply if reply in kb.answers(requested) else "unsure")
    elif requested == GROUPED_SLOT and asked:
        answers.update(_group_answers(asked, answers, replies, bool(_entities(message, "names_all"))))
    return answers


def _group_answers(
    asked: List[Text], named: Dict[str, List[str]], replies: List[Optional[str]], names_all: bool
) -> Dict[str, List[str]]:
    """What a reply to "Do any of these apply?" says of the findings it did not name.

    "none of them" / "no": none apply. Naming some with "just" or "only", or denying some
    ("no cramps or anything"): the rest do not apply either. Naming some otherwise leaves
    the rest open, to be asked again: words the bot missed must not become a no.
    "not sure" alone: each is unsure. "yes" alone says nothing yet: the caller asks which.
    """
    unnamed = [f for f in asked if f not in named]
    said = [answer for f in asked for answer in named.get(f, [])]
    only_denials = bool(said) and all(answer == "no" for answer in said)
    if ("no" in replies and not any(a == "yes" for a in said)) or only_denials or (said and names_all):
        return {f: ["no"] for f in unnamed}
    if "unsure" in replies and not said:
        return {f: ["unsure"] for f in unnamed}
    return {}


def _looks_like_a_reply(message: Dict[Text, Any]) -> bool:
    """A reply about symptoms (not a question or small talk) that answered nothing."""
    return (message.get("intent") or {}).get("name") in ("describe_symptoms", "nlu_fallback")


def _someone_elses_red_flag(message: Dict[Text, Any], about: Optional[Text], kb) -> Optional[Text]:
    """A named person other than the one assessed, with a same-day warning sign now."""
    for entity in message.get("entities") or []:
        owner = entity.get("experiencer") or ""
        if (
            entity.get("entity") in kb.red_flags()
            and entity.get("value") == "yes"
            and owner.startswith("other:")
            and owner != SOMEONE
            and not counts_for(owner, about)
        ):
            return owner
    return None


def question_style(about: Optional[Text], mode: Optional[Text]) -> Text:
    """Which wording of the next question: plain, with its reason, or with examples;
    spoken to the person, or about the person they ask for."""
    other = bool(about) and about != SELF
    if mode:
        return f"{mode}_other" if other else mode
    return "other" if other else "self"


class ActionExtractFindings(Action):
    def name(self) -> Text:
        return "action_extract_findings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        message = tracker.latest_message
        requested = tracker.get_slot("requested_slot") if tracker.active_loop_name == FORM_NAME else None
        findings = findings_from(tracker)
        events: List[EventType] = []
        kb = engine.load_knowledge()

        about = subject_of(message, tracker.get_slot(ABOUT_SLOT))
        if about and about != tracker.get_slot(ABOUT_SLOT):
            events += [SlotSet(ABOUT_SLOT, about), SlotSet(PERSON_SLOT, person_phrase(about))]

        # the findings just asked: the group's, the one requested, or none (no form active)
        asked: List[Text] = (
            list(tracker.get_slot(ASKED_SLOT) or []) if requested == GROUPED_SLOT else [requested] if requested else []
        )
        group = (tracker.get_slot(GROUP_SLOT) or "|").split("|")[0] if requested == GROUPED_SLOT else requested
        answers_found = answers_in_message(message, requested, about, asked)
        answered = any(f in answers_found for f in asked if f)
        unsure_red_flags = [f for f in asked if f in kb.red_flags() and answers_found.get(f) == ["unsure"]]
        mode = None
        if requested and not answered and _entities(message, "asks_back"):
            mode = "why"  # a question back: say why, ask again
        elif (
            unsure_red_flags
            and all(answers_found.get(f) == ["unsure"] for f in asked if f in answers_found)
            and tracker.get_slot(CLARIFIED_SLOT) != group
        ):
            for finding in asked:  # one clarifying question before caution applies
                answers_found.pop(finding, None)
            mode = "clarify"
            events.append(SlotSet(CLARIFIED_SLOT, group))
        elif requested and not answered and _looks_like_a_reply(message):
            unanswered = (tracker.get_slot(UNANSWERED_SLOT) or 0) + 1
            mode = "again"
            if unanswered >= REPLIES_BEFORE_UNSURE:
                answers_found.update({f: ["unsure"] for f in asked if f})
                unanswered, mode = 0, None
            events.append(SlotSet(UNANSWERED_SLOT, unanswered))
        elif (
            requested == GROUPED_SLOT
            and not answered
            and (
                "yes" in [e.get("value") for e in _entities(message, "answer")]
                or (message.get("intent") or {}).get("name") == "affirm"
            )
        ):
            mode = "again"  # "yes" to a list: which ones? Twice unplaced: each is unsure.
            unanswered = (tracker.get_slot(UNANSWERED_SLOT) or 0) + 1
            if unanswered >= 2:
                answers_found.update({f: ["unsure"] for f in asked if f})
                unanswered, mode = 0, None
            events.append(SlotSet(UNANSWERED_SLOT, unanswered))
        elif answered and tracker.get_slot(UNANSWERED_SLOT):
            events.append(SlotSet(UNANSWERED_SLOT, 0))
        other_person = _someone_elses_red_flag(message, about, kb)
        if other_person and mode in (None, "again"):
            mode = "second_person"
            events.append(SlotSet(OTHER_PERSON_SLOT, person_phrase(other_person)))
        style = question_style(about, mode)
        if style != (tracker.get_slot(STYLE_SLOT) or "self"):
            events.append(SlotSet(STYLE_SLOT, style))

        for name, answers in answers_found.items():
            answer = engine.merge_answers(findings[name], engine.most_cautious(name, answers), name)
            if answer and answer != findings[name]:
                findings[name] = answer
                events.append(SlotSet(name, answer))

        details = details_from(tracker)
        new_details = [
            entity["value"]
            for entity in _entities(message, "detail")
            if counts_for(entity.get("experiencer"), about) and entity.get("value") not in details
        ]
        ages = [int(e["value"]) for e in _entities(message, "age") if str(e.get("value")).isdigit()]
        if "child" not in details and is_child(about, ages[0] if ages else None):
            new_details.append("child")
        if new_details:
            details = list(dict.fromkeys(details + new_details))
            events.append(SlotSet(DETAILS_SLOT, details))

        red_flag_level = engine.red_flag_level(findings, details=details)
        if red_flag_level and red_flag_level != tracker.get_slot("triage_level"):
            assessment = engine.assess(findings, details)
            events += [
                SlotSet("triage_level", assessment.level),
                SlotSet("likely_causes", assessment.causes),
            ]
        return events
