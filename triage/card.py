"""Turns an Assessment into what the person reads: a card (for widgets) and plain text.

Every clinical word comes from knowledge.yml; this module only arranges it.
"""

from typing import Dict, List, Optional

from triage.engine import Assessment, Knowledge, load_knowledge

NOT_A_DIAGNOSIS = (
    "This is not a diagnosis. It tells you what the picture fits and how soon to get "
    "seen; a doctor's examination is what answers the question."
)
SAFETY_NET_ACTIONS = [
    ("soon", "Book a doctor's appointment if"),
    ("urgent", "Get seen the same day if"),
    ("emergency", "Call your local emergency number if"),
]
LEVEL_MARKS = {"emergency": "🔴", "urgent": "🟠", "soon": "🟡", "self_care": "🟢"}


def build_card(assessment: Assessment, kb: Optional[Knowledge] = None, about: Optional[str] = None) -> Dict:
    """`about`: who the assessment is about when it is not the person chatting ("your dad")."""
    kb = kb or load_knowledge()
    level = kb.levels[assessment.level]
    advice = kb.advice
    causes = [
        {"id": cause, "name": kb.causes[cause]["name"], "summary": kb.causes[cause]["summary"]}
        for cause in assessment.causes
    ]
    hints = [kb.electrolyte_hints[hint]["name"] for hint in assessment.electrolyte_hints]
    if assessment.level in ("emergency", "urgent"):
        next_steps: List[str] = []
    elif assessment.level == "soon":
        next_steps = list(advice["doctor_checks"])
    else:
        next_steps = list(advice["self_care_steps"])
    # Only the warning signs above the person's level are worth listing.
    safety_net = [
        {"action": action, "signs": list(advice[f"safety_net_{net_level}"])}
        for net_level, action in SAFETY_NET_ACTIONS
        if kb.level_rank[net_level] > kb.level_rank[assessment.level] or net_level == "emergency"
    ]
    notes = [advice["not_written_for"][group] for group in ("child", "pregnant") if group in assessment.details]
    steps_shown = next_steps + (list(advice["self_care_steps"]) if assessment.level == "soon" else [])
    if hints and advice["supplement_warning"] not in steps_shown:
        notes.append(advice["supplement_warning"])
    return {
        "type": "assessment",
        "about": about,
        "notes": notes,
        "level": assessment.level,
        "title": level["title"],
        "timeframe": level["timeframe"],
        "advice": (advice["someone_else"].get(assessment.level) if about else None) or advice[assessment.level],
        "likely_causes": causes,
        "electrolyte_hints": hints,
        "why": list(assessment.reasons),
        "reassuring": list(assessment.reassurances),
        "next_steps": next_steps,
        "self_care_steps": list(advice["self_care_steps"]) if assessment.level == "soon" else [],
        "safety_net": safety_net,
        "disclaimer": NOT_A_DIAGNOSIS,
    }


def card_as_text(card: Dict) -> List[str]:
    """The card as a few short chat messages, readable on a phone."""
    about = f"About {card['about']}. " if card.get("about") else ""
    messages = [f"{LEVEL_MARKS[card['level']]} {about}{card['title']}.\n{card['advice']}"]

    if card["likely_causes"]:
        names = [cause["name"] for cause in card["likely_causes"]]
        text = f"What this fits best: {names[0]}."
        if len(names) > 1:
            text += " Other possibilities: " + ", ".join(names[1:]) + "."
        text += "\n" + card["likely_causes"][0]["summary"]
        if card["electrolyte_hints"]:
            text += "\nIf it is a body salt, the clues point most to " + " or ".join(card["electrolyte_hints"]) + "."
        messages.append(text)

    if card.get("notes"):
        messages.append("\n".join(card["notes"]))
    if card["why"]:
        messages.append("Why I say this:\n" + _bullets(card["why"]))
    if card["reassuring"]:
        messages.append("What speaks against a nerve or muscle problem:\n" + _bullets(card["reassuring"]))

    if card["next_steps"]:
        heading = "What a doctor usually checks:" if card["level"] == "soon" else "What you can do now:"
        messages.append(heading + "\n" + "\n".join(f"• {step}" for step in card["next_steps"]))
    if card["self_care_steps"]:
        messages.append("Until then:\n" + "\n".join(f"• {step}" for step in card["self_care_steps"]))

    net = [group["action"] + ":\n" + "\n".join(f"• {sign}" for sign in group["signs"]) for group in card["safety_net"]]
    messages.append("\n\n".join(net + [card["disclaimer"]]))
    return messages


def _bullets(lines: List[str]) -> str:
    return "\n".join(f"• {line[0].upper()}{line[1:]}." for line in lines)
