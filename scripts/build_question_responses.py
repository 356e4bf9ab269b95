"""Writes domain/questions.yml: the form's follow-up questions as `utter_ask_<finding>`
responses, worded in triage/knowledge.yml (the one place a clinician edits them).

Responses are sent by the Rasa server itself; a custom action per question would cost an
extra round trip to the action server on every turn. `make train` runs this when the
knowledge file changes, and a unit test checks the committed file is up to date.

    python -m scripts.build_question_responses [OUT]
"""

import itertools
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

from triage.engine import load_knowledge

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "domain" / "questions.yml"
HEADER = (
    "# Generated from triage/knowledge.yml by `python -m scripts.build_question_responses`: edit the questions there.\n"
)

YES_NO_BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "Not sure", "payload": "/unsure"},
]
# Durations as days, which the knowledge file's threshold turns into short or long. Plain
# words, not `/intent{"entity": ...}`: Rasa reads braces in a response as slot
# placeholders and logs an error with every duration question.
DURATION_BUTTONS = [
    {"title": "A few days", "payload": "for 4 days"},
    {"title": "1 to 3 weeks", "payload": "for 14 days"},
    {"title": "A month or more", "payload": "for 45 days"},
    {"title": "Not sure", "payload": "/unsure"},
]


# Someone else's warning sign, told in passing: not merged into this assessment, never ignored.
SECOND_PERSON = (
    "What you said about {other_person} matters: new weakness, speech or swallowing trouble needs "
    "a doctor today, and chest pain, fainting, bad breathlessness or confusion the emergency number. "
    'When we finish, say "start over" to check for them. Back to this check:'
)
AGAIN = "Thanks, noted. I still need an answer to this one (yes, no or not sure is fine):"
GENERIC_WHY = "Each answer helps me tell which kind of twitching this looks like and how soon to get seen."


def _for_rasa(text: str) -> str:
    """The knowledge file names the person {person}; the domain's slot is about_person."""
    return text.replace("{person}", "{about_person}")


def _without_preface(question: str) -> str:
    """ "First, a quick safety check. Right now ..." -> "Right now ..." after the reason."""
    return question.split(". ", 1)[1] if question.startswith("First,") else question


def question_variants(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The question in each style (slot question_style, set by action_extract_findings):
    spoken to the person or about someone else; with its reason after a question back;
    with concrete examples after a first "not sure" to a red flag."""
    plain, other = spec["question"], spec.get("question_other", spec["question"])
    why = spec.get("why", GENERIC_WHY)
    styles = {
        "other": other,
        "why": f"{why} {_without_preface(plain)}",
        "why_other": f"{why} {_without_preface(other)}",
        "again": f"{AGAIN} {plain}",
        "again_other": f"{AGAIN} {other}",
        "second_person": f"{SECOND_PERSON} {plain}",
        "second_person_other": f"{SECOND_PERSON} {other}",
        "clarify": spec.get("clarify", plain),
        "clarify_other": spec.get("clarify_other", other),
    }
    variants: List[Dict[str, Any]] = [{"text": _for_rasa(plain)}]
    for style, text in styles.items():
        variants.append(
            {
                "condition": [{"type": "slot", "name": "question_style", "value": style}],
                "text": _for_rasa(text),
            }
        )
    return variants


STYLES = (
    "self",
    "other",
    "why",
    "why_other",
    "clarify",
    "clarify_other",
    "again",
    "again_other",
    "second_person",
    "second_person_other",
)
ITEMS = "{question_items}"  # the open group's list, filled by validate_triage_form


def group_variants(knowledge, name: str, spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A grouped question (contract section 4) in each style, keyed by the slot
    question_group = "<group>|<style>", and for each set of its findings still open (slot
    question_open, the sorted names "+"-joined): its list comes from a slot, and its buttons
    are those findings' own, so a button never names something the list no longer asks."""
    plain, other = spec["question"], spec.get("question_other", spec["question"])
    why, which = spec.get("why", GENERIC_WHY), knowledge.group_wording["which"]
    texts = {
        "self": plain,
        "other": other,
        "why": f"{why} {plain}",
        "why_other": f"{why} {other}",
        "clarify": spec.get("clarify", plain),
        "clarify_other": spec.get("clarify_other", other),
        "again": which,
        "again_other": which,
        "second_person": f"{SECOND_PERSON} {plain}",
        "second_person_other": f"{SECOND_PERSON} {other}",
    }
    variants = []
    findings = spec["findings"]
    open_sets = [list(open) for size in range(len(findings), 0, -1) for open in itertools.combinations(findings, size)]
    for open_findings in open_sets:
        buttons = [
            {"title": knowledge.findings[f]["button"]["title"], "payload": knowledge.findings[f]["button"]["says"]}
            for f in open_findings
        ]
        buttons += [
            {"title": knowledge.group_wording["none"], "payload": "none of these"},
            {"title": "Not sure", "payload": "/unsure"},
        ]
        for style in STYLES:
            variants.append(
                {
                    "condition": [
                        {"type": "slot", "name": "question_group", "value": f"{name}|{style}"},
                        {"type": "slot", "name": "question_open", "value": "+".join(sorted(open_findings))},
                    ],
                    "text": _for_rasa(f"{texts[style]}\n{ITEMS}"),
                    "buttons": buttons,
                }
            )
    return variants


def question_responses() -> Dict[str, Any]:
    knowledge = load_knowledge()
    responses: Dict[str, List[Dict[str, Any]]] = {}
    for finding in knowledge.asked_findings():
        buttons = DURATION_BUTTONS if finding == "duration" else YES_NO_BUTTONS
        responses[f"utter_ask_{finding}"] = [
            {**variant, "buttons": buttons} for variant in question_variants(knowledge.findings[finding])
        ]
    grouped = [
        variant for name, spec in knowledge.question_groups.items() for variant in group_variants(knowledge, name, spec)
    ]
    # Rasa needs one variation without a condition; question_group is always set, so the
    # first group's plain wording only stands by.
    default = {key: value for key, value in grouped[0].items() if key != "condition"}
    responses["utter_ask_grouped_answer"] = [default] + grouped
    return {"version": "3.1", "responses": responses}


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # every question spells out its buttons
        return True


def render() -> str:
    return HEADER + yaml.dump(question_responses(), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.write_text(render())
