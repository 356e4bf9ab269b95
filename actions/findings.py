"""Reads the findings the conversation has gathered so far out of a tracker."""

from typing import Dict, List, Optional

from rasa_sdk import Tracker

from triage.engine import load_knowledge

FORM_NAME = "triage_form"
DETAILS_SLOT = "finding_details"
ASKED_SLOT = "asked_findings"  # contract section 4: what a grouped question covers
GROUP_SLOT = "question_group"  # "<group>|<style>": which wording of the grouped question
GROUPED_SLOT = "grouped_answer"  # requested while a grouped question is open; never filled
ITEMS_SLOT = "question_items"  # the grouped question's list, one line per finding
OPEN_SLOT = "question_open"  # the findings that list holds, sorted and "+"-joined: picks its buttons


def finding_names() -> List[str]:
    return list(load_knowledge().findings)


def findings_from(tracker: Tracker) -> Dict[str, Optional[str]]:
    return {name: tracker.get_slot(name) for name in finding_names()}


def details_from(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot(DETAILS_SLOT) or [])
