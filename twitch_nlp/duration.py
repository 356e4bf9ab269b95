"""spaCy component: how long the twitching has lasted, in days, on doc._.duration_days."""

import math
import re
from typing import Dict, Iterable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc

from twitch_nlp import extensions  # noqa: F401

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple": 2,
    "few": 3,
    "several": 4,
}
UNIT_DAYS = {"day": 1, "night": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 30, "mo": 30, "year": 365, "yr": 365}
DURATION_RE = re.compile(
    r"\b(?P<half>half\s+)?(?P<count>\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple|few|several)"
    r"(?:\s+(?:of|or\s+(?:so|two|three)))?\s*(?:more\s+)?"
    r"(?P<unit>days?|nights?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?)\b",
    re.IGNORECASE,
)
# "6 coffees a day", "three times a week", "twice a day": how often, not how long.
FREQUENCY_RE = re.compile(
    r"(?:\b(?:times?|twice|once|coffees?|cups?|cans?|drinks?|beers?|pints?|hours?|hrs?|cigarettes?|bottles?|"
    r"shots?|pills?|tablets?|sessions?|workouts?)\s+(?:a|an|per|each|every)\s*$)|(?:\b(?:per|each|every)\s*$)",
    re.IGNORECASE,
)
# "my 8 year old", "20 weeks pregnant", "a 3-month-old", "6 weeks postpartum": an age or
# a pregnancy, not how long anything has lasted.
NOT_A_DURATION_AFTER = re.compile(
    r"^(?:-|\s)*(?:old|pregnant|gestation|along|postpartum|post-partum|after (?:birth|giving birth|delivery)|into (?:my|her|the) pregnancy)\b",
    re.IGNORECASE,
)
NOT_A_DURATION_BEFORE = re.compile(r"\b(?:aged?|age of)\s*$", re.IGNORECASE)
SINCE_RE: Dict[re.Pattern[str], float] = {  # days each phrase stands for
    re.compile(r"\b(since|for)\s+(some|a\s+few)\s+days\b", re.I): 3,
    re.compile(r"\bsince\b[^.?!]{0,40}?\blast\s+week\b", re.I): 7,
    re.compile(r"\bsince\b[^.?!]{0,40}?\blast\s+month\b", re.I): 30,
    re.compile(r"\b(since|from)\s+(yesterday|last night|this morning|today)\b", re.I): 1,
    re.compile(r"\b(since|from)\s+last\s+week\b", re.I): 7,
    re.compile(r"\b(since|from)\s+last\s+month\b", re.I): 30,
    re.compile(r"\b(since|from)\s+last\s+year\b", re.I): 365,
    re.compile(r"\bfor\s+ages\b", re.I): 60,
    re.compile(r"\b(months|years)\b", re.I): 60,
    re.compile(r"\bweeks\b", re.I): 14,
    re.compile(r"\bdays\b", re.I): 3,
}
SENTENCE_BREAK = re.compile(r"[.;!?\n]+")
CLAUSE_BREAK = re.compile(r",|\bbut\b|\band\s+(?:now|then)\b", re.IGNORECASE)


@Language.factory(
    "twitch_duration",
    default_config={"twitch_words": []},
    assigns=["doc._.duration_days", "doc._.duration_of_twitching"],
)
def make_duration_detector(nlp: Language, name: str, twitch_words: List[str]) -> "DurationDetector":
    return DurationDetector(twitch_words)


class DurationDetector:
    """A duration said in the same clause as the twitching is the twitching's; otherwise the
    longest one mentioned ("vomiting for 4 days, twitches since yesterday" is 1 day)."""

    def __init__(self, twitch_words: Iterable[str]):
        words = sorted({w.lower() for w in twitch_words}, key=len, reverse=True)
        self.twitch = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")", re.I) if words else None

    def __call__(self, doc: Doc) -> Doc:
        doc._.duration_days = duration_in_days(doc.text, self.twitch)
        doc._.duration_of_twitching = _twitching_days(doc.text, self.twitch) is not None
        return doc


def duration_in_days(text: str, twitch: Optional["re.Pattern"] = None) -> Optional[float]:
    days = _twitching_days(text, twitch)
    return days if days is not None else _days(text)


def _twitching_days(text: str, twitch: Optional["re.Pattern"]) -> Optional[float]:
    """A duration said with the twitching: in its clause, else in its sentence
    ("my legs are jumping, since maybe 10 days")."""
    if twitch is None:
        return None
    for sentence in SENTENCE_BREAK.split(text):
        if not twitch.search(sentence):
            continue
        for clause in CLAUSE_BREAK.split(sentence):
            if clause and twitch.search(clause) and _days(clause) is not None:
                return _days(clause)
        if _days(sentence) is not None:
            return _days(sentence)
    return None


def _days(text: str) -> Optional[float]:
    found: List[float] = []
    for match in DURATION_RE.finditer(text):
        count = match.group("count").lower()
        if FREQUENCY_RE.search(text[: match.start("unit")]) and count in ("a", "an"):
            continue
        if FREQUENCY_RE.search(text[: match.start()]):
            continue
        if NOT_A_DURATION_AFTER.search(text[match.end() :]) or NOT_A_DURATION_BEFORE.search(text[: match.start()]):
            continue
        number = float(count) if count[0].isdigit() else NUMBER_WORDS.get(count)
        unit_days = UNIT_DAYS.get(match.group("unit").lower().rstrip("s"))
        # Skipped: lookalike letters that IGNORECASE lets match ("ſeven", "dayſ") and
        # counts too big for a float ("999...9 days" is infinite days).
        if number is None or unit_days is None:
            continue
        days = number * unit_days * (0.5 if match.group("half") else 1)
        if math.isfinite(days):
            found.append(days)
    if not found:
        found = [
            days for pattern, days in SINCE_RE.items() if pattern.search(text) and not _only_an_age(pattern, text)
        ][:1]
    # The longest span mentioned is how long it has been going on.
    return max(found) if found else None


def _only_an_age(pattern: "re.Pattern", text: str) -> bool:
    """ "weeks" in "20 weeks pregnant" already failed above; so did "years" in "8 years old"."""
    return all(NOT_A_DURATION_AFTER.search(text[m.end() :]) for m in pattern.finditer(text))
