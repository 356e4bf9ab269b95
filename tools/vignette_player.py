"""Plays a blind-set conversation (evaluation/blind/) against the bot, observing it only
through the contract; tools/vignettes.py has the person and the outcome.

A vignette has an opening, `answers` (what the person says about findings that are
present or uncertain), optional `denials` (their own way of saying no) and `expected`
{level, top_cause}. Findings the bot asks about that the vignette does not mention are
answered from a pool of realistic replies (evaluation/blind/replies.yml: hedged noes,
chatty noes, ...), chosen by a seed, so three seeds give three different people.

Grouped questions (contract section 4): the reply joins the answers of the findings
asked about that are present, or says none of them apply.
"""

import random
from typing import Dict, List, Optional, Sequence, Tuple

from tools.bot_client import BotClient
from tools.vignettes import Outcome, Person, asked_in

LEVEL_RANK = {"self_care": 1, "soon": 2, "urgent": 3, "emergency": 4}
RED_FLAG_FINDINGS = ("emergency_signs", "weakness", "speech_swallowing", "muscle_wasting")
DEFAULT_POOLS = {
    "no": ["no"],
    "no_other": ["no"],
    "none_of_these": ["none of these"],
    "unsure": ["not sure"],
    "why": ["why do you ask?"],
}
DEFAULT_DURATION = "about a week"
MAX_SAME_QUESTION = 3


def reply_for(vignette: dict, asked: Sequence[str], pools: Dict[str, List[str]], rng: random.Random) -> str:
    answers = vignette.get("answers") or {}
    denials = vignette.get("denials") or {}
    about_other = vignette.get("about") == "other"
    if len(asked) == 1:
        finding = asked[0]
        if answers.get(finding):
            return str(answers[finding])
        if denials.get(finding):
            return str(denials[finding])
        if finding == "duration":
            return DEFAULT_DURATION
        return rng.choice(pools["no_other" if about_other else "no"])
    present = [str(answers[f]) for f in asked if answers.get(f)]
    if present:
        return ". ".join(p.rstrip(". ") for p in present)
    return rng.choice(pools["none_of_these"])


def play(
    client: BotClient,
    vignette: dict,
    pools: Optional[Dict[str, List[str]]] = None,
    seed: int = 0,
    ask_why_first: bool = False,
    max_turns: int = 25,
) -> Outcome:
    """Sends the opening, answers every question, returns the outcome once a level is set.

    ask_why_first: the first red-flag question is met with a question back ("why do you
    need to know?") before the real answer, as people do.
    """
    pools = {**DEFAULT_POOLS, **(pools or {})}
    rng = random.Random(f"{vignette.get('id')}-{seed}")
    person = Person(client, prefix=f"v-{vignette.get('id', 'x')}")
    outcome = person.outcome
    slots = person.say(vignette["opening"])
    seen: Dict[Tuple[str, ...], int] = {}
    why_pending = ask_why_first
    for _ in range(max_turns):
        if slots.get("triage_level"):
            outcome.conclude(slots)
            return outcome
        asked = asked_in(slots)
        if not asked:
            outcome.error = "no triage_level and no open question"
            return outcome
        seen[asked] = seen.get(asked, 0) + 1
        if seen[asked] > MAX_SAME_QUESTION:
            outcome.error = f"asked {asked} more than {MAX_SAME_QUESTION} times"
            return outcome
        if seen[asked] == 1:
            outcome.asked.append(asked)
            outcome.questions += 1
        if why_pending and set(asked) & set(RED_FLAG_FINDINGS):
            why_pending = False
            slots = person.say(rng.choice(pools["why"]))
            continue
        slots = person.say(reply_for(vignette, asked, pools, rng))
    outcome.error = f"no triage_level after {max_turns} replies"
    return outcome


def first_mention(
    client: BotClient,
    text: str,
    opening: Optional[str] = None,
    pools: Optional[Dict[str, List[str]]] = None,
    seed: int = 0,
) -> Tuple[Optional[str], Outcome]:
    """The level the bot has set right after `text`.

    Without `opening`, `text` is the first message. With it, the opening is sent, the
    red-flag questions are answered no, and `text` is the reply to the first question
    about something else (a red flag told in passing, inside an unrelated answer).
    """
    pools = {**DEFAULT_POOLS, **(pools or {})}
    rng = random.Random(f"{text}-{seed}")
    person = Person(client, prefix="probe")
    if opening is None:
        slots = person.say(text)
        return slots.get("triage_level"), person.outcome
    slots = person.say(opening)
    for _ in range(8):
        if slots.get("triage_level"):
            person.outcome.error = f"the opening alone concluded {slots['triage_level']}"
            return None, person.outcome
        asked = asked_in(slots)
        if not asked:
            person.outcome.error = "no open question after the opening"
            return None, person.outcome
        if not set(asked) & set(RED_FLAG_FINDINGS) and asked != ("duration",):
            slots = person.say(text)
            return slots.get("triage_level"), person.outcome
        reply = (
            DEFAULT_DURATION
            if asked == ("duration",)
            else (rng.choice(pools["none_of_these"]) if len(asked) > 1 else rng.choice(pools["no"]))
        )
        slots = person.say(reply)
    person.outcome.error = "never asked about anything but red flags"
    return None, person.outcome
