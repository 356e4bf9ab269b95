"""Writes domain/questions.yml: the form's follow-up questions as `utter_ask_<finding>`
responses, worded in triage/knowledge.yml (the one place a clinician edits them).

Responses are sent by the Rasa server itself; a custom action per question would cost an
extra round trip to the action server on every turn. `make train` runs this when the
knowledge file changes, and a unit test checks the committed file is up to date.

    python -m scripts.build_question_responses [OUT]
"""

import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

from triage.engine import load_knowledge

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "domain" / "questions.yml"
HEADER = "# Generated from triage/knowledge.yml by `python -m scripts.build_question_responses`: edit the questions there.\n"

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


def question_responses() -> Dict[str, Any]:
    knowledge = load_knowledge()
    responses: Dict[str, List[Dict[str, Any]]] = {}
    for finding in knowledge.asked_findings():
        buttons = DURATION_BUTTONS if finding == "duration" else YES_NO_BUTTONS
        responses[f"utter_ask_{finding}"] = [
            {"text": knowledge.findings[finding]["question"], "buttons": buttons}
        ]
    return {"version": "3.1", "responses": responses}


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # every question spells out its buttons
        return True


def render() -> str:
    return HEADER + yaml.dump(
        question_responses(), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
    )


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.write_text(render())
