"""The clinical vignettes of tests/vignettes.yml and how a person plays one against the bot,
observing it only through shared/triage-contract.md: the REST channel to talk, the
tracker API (with token) to read `triage_level`, `likely_causes`, `requested_slot` and
`asked_findings`.

A vignette has an `opening`, `answers` (what the person says about findings, by name)
and `expected` {level, top_cause}. A finding the vignette does not mention is answered
"no"; a grouped question ("Do any of these apply?", contract section 4) with the answers
that apply, or "no, none of these".

    client = BotClient(url, token)
    outcome = play_vignette(client, load_vignettes()[0])
"""

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml

from tools.bot_client import BotClient, bot_texts

VIGNETTE_FILE = Path(__file__).resolve().parents[1] / "tests" / "vignettes.yml"
MAX_ANSWERS = 20  # more answers than this means the conversation is stuck
DEFAULT_ANSWER = "no"
DEFAULT_ANSWERS = {"duration": "about a week"}
NO_WORDS = re.compile(r"^(?:no|nope|nah|never|none|nothing|dont|don't)\b|^not\b(?! sure)", re.IGNORECASE)


def load_vignettes(path: Path = VIGNETTE_FILE) -> List[dict]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vignettes"]


# ---- what the person answers ------------------------------------------------------------


def answer_for(vignette: dict, finding: str) -> str:
    """The reply the person types when asked about `finding`."""
    answers = vignette.get("answers") or {}
    if finding in answers and answers[finding] is not None:
        return str(answers[finding])
    return DEFAULT_ANSWERS.get(finding, DEFAULT_ANSWER)


def answer_for_group(vignette: dict, findings: Sequence[str]) -> str:
    """The reply to "Do any of these apply?": the answers about the findings that apply,
    or "none of these"."""
    answers = vignette.get("answers") or {}
    present = [str(answers[f]) for f in findings if answers.get(f) and not NO_WORDS.match(str(answers[f]).strip())]
    return ". ".join(present) if present else "no, none of these"


def asked_in(slots: dict) -> Tuple[str, ...]:
    """The findings the open question covers (contract sections 3 and 4)."""
    grouped = slots.get("asked_findings") or []
    if grouped:
        return tuple(grouped)
    requested = slots.get("requested_slot")
    return (requested,) if requested else ()


def reply_to(vignette: dict, slots: dict) -> str:
    """The reply to whatever question the slots say is open, single or grouped."""
    asked = asked_in(slots)
    if len(asked) > 1:
        return answer_for_group(vignette, asked)
    return answer_for(vignette, slots.get("requested_slot") or "")


@dataclass(frozen=True)
class Move:
    """What the person does after reading the slots: reply, give up (error), or neither
    because the assessment has concluded."""

    reply: Optional[str] = None
    error: Optional[str] = None


def next_move(vignette: dict, slots: dict, answered: int, max_answers: int = MAX_ANSWERS) -> Move:
    """The step after a turn, given the slots and how many answers were given so far."""
    if slots.get("triage_level"):
        return Move()
    if not slots.get("requested_slot"):
        return Move(error="no triage_level and no requested_slot after the last turn")
    if answered >= max_answers:
        return Move(error=f"no triage_level after {max_answers} answers")
    return Move(reply=reply_to(vignette, slots))


# ---- playing it -----------------------------------------------------------------------------


@dataclass
class Outcome:
    sender: str
    level: Optional[str] = None
    causes: List[str] = field(default_factory=list)
    questions: int = 0
    asked: List[Tuple[str, ...]] = field(default_factory=list)
    transcript: List[Tuple[str, str]] = field(default_factory=list)  # (who, text)
    error: Optional[str] = None

    @property
    def stuck(self) -> bool:
        return self.error is not None

    @property
    def user_turns(self) -> List[str]:
        return [text for who, text in self.transcript if who == "user"]

    def conclude(self, slots: dict) -> None:
        self.level = slots["triage_level"]
        self.causes = list(slots.get("likely_causes") or [])

    def readable(self) -> str:
        """A transcript for assertion messages."""
        lines = [
            f"sender={self.sender} level={self.level} causes={self.causes} "
            f"questions={self.questions} asked={self.asked} error={self.error}"
        ]
        lines += [f"  {who:>4}: {text}" for who, text in self.transcript]
        return "\n".join(lines)


class Person:
    """One person in one conversation: says things and reads the contract's slots."""

    def __init__(self, client: BotClient, prefix: str = "person"):
        self.client = client
        self.outcome = Outcome(sender=f"{prefix}-{uuid.uuid4().hex[:12]}")

    def say(self, text: str) -> dict:
        """Sends `text`; returns the slots after the bot's turn."""
        self.outcome.transcript.append(("user", text))
        for reply in bot_texts(self.client.send(self.outcome.sender, text)):
            self.outcome.transcript.append(("bot", reply))
        return self.client.slots(self.outcome.sender)


def play_vignette(client: BotClient, vignette: dict, max_answers: int = MAX_ANSWERS) -> Outcome:
    """Sends the opening, then answers each question until a level is set. The outcome is
    stuck when, after a turn, the bot neither concluded nor asked about a finding, or when
    `max_answers` answers were not enough."""
    person = Person(client, prefix=f"vignette-{vignette.get('id', 'x')}")
    outcome = person.outcome
    slots = person.say(vignette["opening"])
    while True:
        move = next_move(vignette, slots, outcome.questions, max_answers)
        if move.error:
            outcome.error = move.error
            return outcome
        if move.reply is None:
            outcome.conclude(slots)
            return outcome
        outcome.asked.append(asked_in(slots))
        outcome.questions += 1
        slots = person.say(move.reply)
