"""The project's own spaCy pipeline, built in code from twitch_nlp/lexicon.yml.

blank English -> sentencizer -> lookup lemmatizer -> typo-tolerant normaliser
-> finding matcher -> duration matcher -> medspaCy ConText (negation, uncertainty).

`python -m twitch_nlp.pipeline models/spacy_twitch` builds it and saves it, so Rasa's
SpacyNLP can load it from that path. Importing this module registers the factories.
"""

import difflib
import gzip
import json
import math
import re
import sys
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import medspacy  # noqa: F401  (registers the medspacy_context factory)
import spacy
import yaml
from medspacy.context import ConText, ConTextRule
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

LEXICON_FILE = Path(__file__).with_name("lexicon.yml")
GAP = "..."
MAX_GAP = 3

if not Doc.has_extension("duration_days"):
    Doc.set_extension("duration_days", default=None)
if not Doc.has_extension("answer"):
    Doc.set_extension("answer", default=None)


@lru_cache(maxsize=None)
def load_lexicon(path: Path = LEXICON_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _phrase_entries(lexicon: dict) -> List[Tuple[str, Optional[str], str]]:
    """(label, detail, phrase) for every phrase; the label is the finding name."""
    entries = []
    for finding, phrases in lexicon["findings"].items():
        entries += [(finding, None, phrase) for phrase in phrases or []]
    for detail, spec in lexicon["details"].items():
        label = spec["finding"] or "detail_only"
        entries += [(label, detail, phrase) for phrase in spec["phrases"]]
    return entries


COMMON_WORD_LOG_PROBABILITY = -16  # keeps ~49k everyday words, leaves out rare misspellings


@lru_cache(maxsize=1)
def common_english_words() -> frozenset:
    """Everyday English words (spacy-lookups-data word frequencies), never "corrected".

    Without it "wake" would become "weak" and "sorry" would become "worry".
    """
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        probabilities = json.load(handle)
    return frozenset(
        word for word, log_p in probabilities.items()
        if log_p > COMMON_WORD_LOG_PROBABILITY and word.isalpha() and word.islower()
    )


@Language.factory("twitch_normalizer", default_config={"vocabulary": []})
def make_normalizer(nlp: Language, name: str, vocabulary: List[str]) -> "Normalizer":
    return Normalizer(nlp, vocabulary)


class Normalizer:
    """Sets token.norm_ to the lemma of the word, after fixing likely typos.

    A word that is neither in the lemma table nor in the lexicon is replaced by the
    closest lexicon word, if one is close enough ("twiching" -> "twitching").
    """

    def __init__(self, nlp: Language, vocabulary: Iterable[str]):
        self.vocabulary = sorted(set(vocabulary))
        self.known = set(self.vocabulary)
        self._corrections: Dict[str, str] = {}

    @cached_property
    def lemmas(self):
        """spacy-lookups-data's English lemma table (keys are hashed strings). Read here,
        not from the lemmatizer, whose tables arrive only after a saved pipeline loads."""
        return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    @cached_property
    def english(self) -> frozenset:
        return common_english_words() | {lemma for lemma in self.lemmas.values() if isinstance(lemma, str)}

    def correct(self, word: str) -> str:
        if len(word) < 4 or word in self.known or word in self.english or not word.isalpha():
            return word
        if word not in self._corrections:
            close = difflib.get_close_matches(word, self.vocabulary, n=1, cutoff=0.8)
            self._corrections[word] = close[0] if close else word
        return self._corrections[word]

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            word = self.correct(token.lower_.replace("’", "'"))
            token.norm_ = self.lemmas.get(word, word)
        return doc

    def lemma_of(self, word: str) -> str:
        return self.lemmas.get(word, word)


@Language.factory("twitch_findings")
def make_finding_matcher(nlp: Language, name: str) -> "FindingMatcher":
    return FindingMatcher(nlp)


class FindingMatcher:
    """Marks lexicon phrases as doc.ents labelled "finding|detail" ("triggers|caffeine")."""

    def __init__(self, nlp: Language):
        self.matcher = Matcher(nlp.vocab)
        normalizer = nlp.get_pipe("twitch_normalizer")
        for label, detail, phrase in _phrase_entries(load_lexicon()):
            self.matcher.add(f"{label}|{detail or ''}", [self._pattern(nlp, normalizer, phrase)])

    @staticmethod
    def _pattern(nlp: Language, normalizer: Normalizer, phrase: str) -> List[dict]:
        pattern: List[dict] = []
        for part in phrase.split():
            if part == GAP:
                pattern += [{"OP": "?"}] * MAX_GAP
                continue
            for token in nlp.make_doc(part.lower()):
                pattern.append({"NORM": normalizer.lemma_of(token.lower_)})
        return pattern

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, start, end, label=match_id) for match_id, start, end in self.matcher(doc)]
        # Longest match wins: "chronic diarrhoea" is history, not a fluid loss.
        doc.ents = _join_lists(doc, filter_spans(spans))
        return doc


LIST_JOINERS = {"and", "or", "nor", ",", "/", "&"}


def _join_lists(doc: Doc, spans: List[Span]) -> List[Span]:
    """ "swallowing and speech fine": one finding listed twice is one target for ConText,
    so a cue before or after the list covers all of it."""
    joined: List[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        previous = joined[-1] if joined else None
        between = doc[previous.end:span.start] if previous is not None else None
        if previous is not None and previous.label == span.label and all(t.lower_ in LIST_JOINERS for t in between):
            joined[-1] = Span(doc, previous.start, span.end, label=span.label)
        else:
            joined.append(span)
    return joined


NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2, "few": 3, "several": 4,
}
UNIT_DAYS = {"day": 1, "night": 1, "week": 7, "wk": 7, "month": 30, "mo": 30, "year": 365, "yr": 365}
DURATION_RE = re.compile(
    r"\b(?P<count>\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple|few|several)"
    r"(?:\s+(?:of|or\s+(?:so|two|three)))?\s*(?:more\s+)?"
    r"(?P<unit>days?|nights?|weeks?|wks?|months?|mos?|years?|yrs?)\b",
    re.IGNORECASE,
)
SINCE_RE = {
    re.compile(r"\b(since|from)\s+(yesterday|last night|this morning|today)\b", re.I): 1,
    re.compile(r"\b(since|from)\s+last\s+week\b", re.I): 7,
    re.compile(r"\b(since|from)\s+last\s+month\b", re.I): 30,
    re.compile(r"\b(since|from)\s+last\s+year\b", re.I): 365,
    re.compile(r"\bfor\s+ages\b", re.I): 60,
    re.compile(r"\b(months|years)\b", re.I): 60,
    re.compile(r"\bweeks\b", re.I): 14,
    re.compile(r"\bdays\b", re.I): 3,
}


@Language.factory("twitch_duration")
def make_duration_detector(nlp: Language, name: str) -> "DurationDetector":
    return DurationDetector()


class DurationDetector:
    """Puts how long the twitching has lasted, in days, on doc._.duration_days."""

    def __call__(self, doc: Doc) -> Doc:
        doc._.duration_days = duration_in_days(doc.text)
        return doc


def duration_in_days(text: str) -> Optional[float]:
    found = []
    for match in DURATION_RE.finditer(text):
        count = match.group("count").lower()
        number = float(count) if count[0].isdigit() else NUMBER_WORDS.get(count)
        unit_days = UNIT_DAYS.get(match.group("unit").lower().rstrip("s"))
        # Skipped: lookalike letters that IGNORECASE lets match ("ſeven", "dayſ") and
        # counts too big for a float ("999...9 days" is infinite days).
        if number is not None and unit_days is not None and math.isfinite(number * unit_days):
            found.append(number * unit_days)
    if not found:
        found = [days for pattern, days in SINCE_RE.items() if pattern.search(text)][:1]
    # The longest span mentioned is how long it has been going on.
    return max(found) if found else None


@Language.factory("twitch_answer")
def make_answer_detector(nlp: Language, name: str) -> "AnswerDetector":
    return AnswerDetector(load_lexicon()["answer_openers"])


class AnswerDetector:
    """Puts "yes", "no" or "unsure" on doc._.answer when the message opens with one."""

    def __init__(self, openers: Dict[str, List[str]]):
        # longest opener first, so "no idea" (unsure) wins over "no"
        pairs = sorted(
            ((str(phrase), str(answer)) for answer, phrases in openers.items() for phrase in phrases),
            key=lambda pair: -len(pair[0]),
        )
        self.patterns = [(re.compile(rf"^{re.escape(p)}(?![\w'])"), answer) for p, answer in pairs]

    def __call__(self, doc: Doc) -> Doc:
        text = re.sub(r"^[^\w]+", "", doc.text.lower().replace("’", "'"))
        text = re.sub(r"^(um+|uh+|well|hmm+|so|oh|erm)\b[\s,.]*", "", text)
        doc._.answer = next((answer for pattern, answer in self.patterns if pattern.match(text)), None)
        return doc


@Language.factory("twitch_context")
def make_context(nlp: Language, name: str):
    """medspaCy ConText with its clinical rules plus everyday conversational cues."""
    # A cue inside a finding ("can't breathe", "not sleeping") belongs to that finding.
    component = ConText(nlp, name=name, rules="default", prune_on_target_overlap=True)
    component.add(conversational_rules(load_lexicon()))
    return component


def conversational_rules(lexicon: dict) -> List[ConTextRule]:
    rules = []
    for category, by_direction in lexicon["context_cues"].items():
        directions: Dict[str, set] = {}
        for direction, cues in by_direction.items():
            for cue in cues:
                directions.setdefault(str(cue), set()).add(direction.upper())
        for cue, found in directions.items():
            if found == {"FORWARD", "BACKWARD"}:
                # "I think I fainted" and "I fainted, I think": both ways, but only nearby
                direction, max_scope = "BIDIRECTIONAL", 5
            else:
                (direction,) = found
                # a cue placed after a finding reaches only the word just before it
                max_scope = 1 if direction == "BACKWARD" else None
            rules.append(ConTextRule(literal=cue, category=category, direction=direction, max_scope=max_scope))
    return rules


def build_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data
    vocabulary = {
        word.lower()
        for _, _, phrase in _phrase_entries(load_lexicon())
        for word in phrase.split()
        if word != GAP
    }
    vocabulary |= {"twitch", "twitching", "twitches", "muscle", "muscles", "calf", "calves", "eyelid"}
    nlp.add_pipe("twitch_normalizer", config={"vocabulary": sorted(vocabulary)})
    nlp.add_pipe("twitch_findings")
    nlp.add_pipe("twitch_duration")
    nlp.add_pipe("twitch_answer")
    nlp.add_pipe("twitch_context")
    return nlp


@lru_cache(maxsize=1)
def load_pipeline(path: Optional[str] = None) -> Language:
    return spacy.load(path) if path else build_pipeline()


def main(argv: List[str]) -> None:
    target = Path(argv[1] if len(argv) > 1 else "models/spacy_twitch")
    target.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(target)
    print(f"spaCy pipeline saved to {target}")


if __name__ == "__main__":
    main(sys.argv)
