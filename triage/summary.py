"""A short summary for the doctor, built from the conversation alone. Pure Python, no Rasa.

Who it is about, what was said in the person's own words, how long, each warning sign asked
and the answer, what else was reported, triggers and medicines mentioned, the level and why,
and the date. Every clinical word comes from knowledge.yml.
"""

from datetime import date
from typing import Dict, List, Mapping, Optional, Sequence

from triage.engine import Knowledge, assess, load_knowledge

ANSWER_WORDS = {"yes": "yes", "no": "no", "unsure": "not sure", "short": "under 4 weeks", "long": "4 weeks or more"}
WORDS_LIMIT = 400  # characters of the person's own words kept


def doctor_summary(
    findings: Mapping[str, Optional[str]],
    details: Sequence[str],
    own_words: Sequence[str],
    about: Optional[str] = None,
    on: Optional[date] = None,
    kb: Optional[Knowledge] = None,
) -> str:
    kb = kb or load_knowledge()
    result = assess(findings, details, kb)
    answered: Dict[str, str] = {name: value for name, value in findings.items() if value and name in kb.findings}
    lines: List[str] = [
        f"Summary for a doctor, {(on or date.today()).strftime('%d %B %Y').lstrip('0')}",
        f"About: {about or 'the person who wrote this'}",
    ]
    words = " / ".join(w.strip() for w in own_words if w.strip())
    if words:
        lines.append(f'In their own words: "{words[:WORDS_LIMIT]}{"..." if len(words) > WORDS_LIMIT else ""}"')
    if "duration" in answered:
        lines.append(f"How long: {ANSWER_WORDS.get(answered['duration'], answered['duration'])}")
    warning = [name for name in kb.red_flags() + ["muscle_wasting"] if name in kb.findings]
    lines.append("Warning signs asked:")
    for name in warning:
        lines.append(f"  - {kb.findings[name]['label']}: {ANSWER_WORDS.get(answered.get(name, ''), 'not asked')}")
    reported = [
        kb.findings[name]["label"]
        for name, value in answered.items()
        if name not in warning and name not in ("duration", "triggers") and value in ("yes", "unsure")
    ]
    if reported:
        lines.append("Also reported: " + "; ".join(reported))
    mentioned = [kb.details[d] for d in result.details]
    if mentioned:
        lines.append("Mentioned: " + ", ".join(mentioned))
    so_far = "" if result.concluded else " so far, with questions still open"
    lines.append(f"Assessment{so_far}: {kb.levels[result.level]['title']} ({kb.levels[result.level]['timeframe']})")
    if result.reasons:
        lines.append("Why: " + "; ".join(result.reasons))
    lines.append("Made by an automated check from what was typed; it is not a diagnosis.")
    return "\n".join(lines)


def summary_request_words(events: Sequence[Mapping]) -> List[str]:
    """The person's messages that described symptoms, in order (their own words)."""
    return [
        str(event.get("text") or "")
        for event in events
        if event.get("event") == "user"
        and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "describe_symptoms"
        and not str(event.get("text") or "").startswith("/")
    ]
