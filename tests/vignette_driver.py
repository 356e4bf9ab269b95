"""Plays a clinical vignette against a running Rasa server, over plain HTTP only.

It observes the bot exactly as shared/triage-contract.md describes: the REST channel
to talk, the tracker API (with token) to read the slots `triage_level`,
`likely_causes` and `requested_slot`. Nothing of the bot's inside is used.

    from tests.vignette_driver import run_vignette
    result = run_vignette("http://localhost:5005", token, vignette)
"""

import re
import uuid
from typing import Dict, List, Optional

from tools.bot_client import BotClient, bot_texts

DEFAULT_ANSWER = "no"
DEFAULT_ANSWERS = {"duration": "about a week"}
NO_WORDS = re.compile(r"^(?:no|nope|nah|never|none|nothing|dont|don't)\b|^not\b(?! sure)", re.IGNORECASE)


def answer_for(vignette: dict, finding: str) -> str:
    """The reply the person types when asked about `finding`."""
    answers = vignette.get("answers") or {}
    if finding in answers and answers[finding] is not None:
        return str(answers[finding])
    return DEFAULT_ANSWERS.get(finding, DEFAULT_ANSWER)


def reply_to(vignette: dict, slots: dict) -> str:
    """The reply to whatever question the slots say is open, single or grouped."""
    group = list(slots.get("asked_findings") or [])
    if len(group) > 1:
        return answer_for_group(vignette, group)
    return answer_for(vignette, slots.get("requested_slot"))


def answer_for_group(vignette: dict, findings: List[str]) -> str:
    """The reply to "Do any of these apply?" (contract section 4): the answers about the
    findings that apply, or "none of these"."""
    answers = vignette.get("answers") or {}
    present = [str(answers[f]) for f in findings if answers.get(f) and not NO_WORDS.match(str(answers[f]).strip())]
    return ". ".join(present) if present else "no, none of these"


def run_vignette(base_url: str, token: Optional[str], vignette: dict, max_turns: int = 20) -> Dict[str, object]:
    """Sends the opening, then answers each follow-up question until a level is set.

    Returns {"level", "causes", "questions", "asked", "transcript", "stuck", "sender"}
    (plus "error" when stuck). `stuck` is True when, after a turn, the bot neither
    concluded nor asked about a finding, or when `max_turns` answers were not enough.
    """
    sender = f"vignette-{vignette.get('id', 'x')}-{uuid.uuid4().hex}"
    transcript = []
    asked: List[str] = []
    result: Dict[str, object] = {
        "sender": sender,
        "level": None,
        "causes": [],
        "questions": 0,
        "asked": asked,
        "transcript": transcript,
        "stuck": False,
    }

    bot = BotClient(base_url, token)

    def say(text: str) -> None:
        transcript.append(("user", text))
        for bot_text in bot_texts(bot.send(sender, text)):
            transcript.append(("bot", bot_text))

    say(vignette["opening"])
    for _ in range(max_turns + 1):
        slots = bot.slots(sender)
        level = slots.get("triage_level")
        if level:
            result["level"] = level
            result["causes"] = list(slots.get("likely_causes") or [])
            return result
        finding = slots.get("requested_slot")
        group = list(slots.get("asked_findings") or [])
        if not finding:
            result["stuck"] = True
            result["error"] = "no triage_level and no requested_slot after the last turn"
            return result
        if len(asked) >= max_turns:
            break
        if len(group) > 1:
            asked.append("+".join(group))
            result["questions"] = len(asked)
            say(answer_for_group(vignette, group))
            continue
        asked.append(finding)
        result["questions"] = len(asked)
        say(answer_for(vignette, finding))

    result["stuck"] = True
    result["error"] = f"no triage_level after {max_turns} answers"
    return result


def format_result(result: Dict[str, object]) -> str:
    """A readable transcript for assertion messages."""
    lines = [
        f"sender={result.get('sender')} level={result.get('level')} causes={result.get('causes')} "
        f"questions={result.get('questions')} asked={result.get('asked')} stuck={result.get('stuck')}"
    ]
    if result.get("error"):
        lines.append(f"error: {result['error']}")
    for who, text in result.get("transcript", []):
        lines.append(f"  {who:>4}: {text}")
    return "\n".join(lines)
