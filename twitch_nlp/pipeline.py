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
if not Doc.has_extension("answer_alone"):   # the message is only that answer ("nuh uh")
    Doc.set_extension("answer_alone", default=False)
# Findings whose words overlap a longer finding of another kind ("raised my levothyroxine
# dose" is a medicine change and a thyroid history): doc.ents cannot overlap.
if not Doc.has_extension("extra_findings"):
    Doc.set_extension("extra_findings", default=[])
# A finding named inside a question ("can caffeine cause twitching?") is a topic, not a report.
if not Span.has_extension("in_question"):
    Span.set_extension("in_question", default=False)
if not Span.has_extension("question_about_self"):
    Span.set_extension("question_about_self", default=False)


@lru_cache(maxsize=None)
def load_lexicon(path: Path = LEXICON_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# How a phrase reports its finding (the third part of a match label "finding|detail|kind"):
REPORTS = ""            # the finding is present, unless ConText says otherwise
DENIAL = "denial"       # "strength is normal": the finding is absent ("not as strong": present)
DENIED_ONLY = "denied"  # "not on any meds": counts only when denied


def _phrase_entries(lexicon: dict) -> List[Tuple[str, Optional[str], str, str]]:
    """(label, detail, phrase, kind) for every phrase; the label is the finding name."""
    entries = []
    for finding, phrases in lexicon["findings"].items():
        entries += [(finding, None, phrase, REPORTS) for phrase in phrases or []]
    for detail, spec in lexicon["details"].items():
        label = spec["finding"] or "detail_only"
        entries += [(label, detail, phrase, REPORTS) for phrase in spec["phrases"]]
    for kind, section in ((DENIAL, "denials"), (DENIED_ONLY, "denied_only")):
        for finding, phrases in (lexicon.get(section) or {}).items():
            entries += [(finding, None, phrase, kind) for phrase in phrases or []]
    return entries


def _phrase_words(lexicon: dict) -> Iterable[str]:
    """Every word of the lexicon's phrases and word classes (the typo corrector's vocabulary)."""
    for _, _, phrase, _ in _phrase_entries(lexicon):
        yield from (word.lstrip("=") for word in phrase.split() if word != GAP and not WORD_CLASS.fullmatch(word))
    for words in (lexicon.get("word_classes") or {}).values():
        yield from words


WORD_CLASS = re.compile(r"<(\w+)>")   # "<medicine>" in a phrase: any word of that class


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
        # Exact phrases own all their words ("chronic diarrhoea" is history, not a fluid loss);
        # loose ones, with a gap or a word class, do not ("raised my levothyroxine dose").
        self.exact, self.loose = Matcher(nlp.vocab), Matcher(nlp.vocab)
        normalizer = nlp.get_pipe("twitch_normalizer")
        lexicon = load_lexicon()
        classes = {
            name: sorted({normalizer.lemma_of(word.lower()) for word in words})
            for name, words in (lexicon.get("word_classes") or {}).items()
        }
        for label, detail, phrase, kind in _phrase_entries(lexicon):
            loose = GAP in phrase.split() or WORD_CLASS.search(phrase)
            matcher = self.loose if loose else self.exact
            matcher.add(f"{label}|{detail or ''}|{kind}", [self._pattern(nlp, normalizer, phrase, classes)])

    @staticmethod
    def _pattern(nlp: Language, normalizer: Normalizer, phrase: str, classes: Dict[str, List[str]]) -> List[dict]:
        pattern: List[dict] = []
        for part in phrase.split():
            if part == GAP:
                pattern += [{"OP": "?"}] * MAX_GAP
                continue
            if part.startswith("=") and len(part) > 1:   # this very word, not its lemma
                pattern.append({"LOWER": part[1:].lower()})
                continue
            word_class = WORD_CLASS.fullmatch(part)
            if word_class:
                pattern.append({"NORM": {"IN": classes[word_class.group(1)]}})
                continue
            for token in nlp.make_doc(part.lower()):
                pattern.append({"NORM": normalizer.lemma_of(token.lower_)})
        return pattern

    def __call__(self, doc: Doc) -> Doc:
        loose = {(start, end) for _, start, end in self.loose(doc)}
        spans = [Span(doc, start, end, label=match_id)
                 for match_id, start, end in self.exact(doc) + self.loose(doc)]
        # Longest match wins: "chronic diarrhoea" is history, not a fluid loss.
        kept = filter_spans(spans)
        doc.ents = _join_lists(doc, kept)
        # ... but a match naming another finding inside a loose one, or on the very same
        # words, is kept aside: "raised my levothyroxine dose" is a medicine change and a
        # thyroid history; "food poisoning" a fluid loss and a recent illness. A denial
        # ("can still run") keeps its words to itself.
        taken = {(s.start, s.end, s.label_) for s in kept}
        extra = []
        for span in spans:
            overlapping = [o for o in kept if o.start < span.end and span.start < o.end]
            if (span.start, span.end, span.label_) in taken or _kind(span) != REPORTS:
                continue
            if all(_kind(o) == REPORTS and _finding(o) != _finding(span)
                   and ((o.start, o.end) in loose or (o.start, o.end) == (span.start, span.end))
                   for o in overlapping):
                extra.append(span)
        doc._.extra_findings = filter_spans(extra)
        return doc


def _finding(span: Span) -> str:
    return span.label_.split("|")[0]


def _kind(span: Span) -> str:
    return span.label_.split("|")[2]


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
SINCE_RE = {
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
        if FREQUENCY_RE.search(text[:match.start("unit")]) and count in ("a", "an"):
            continue
        if FREQUENCY_RE.search(text[:match.start()]):
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
        doc._.answer, doc._.answer_alone = None, False
        for pattern, answer in self.patterns:
            match = pattern.match(text)
            if match:
                doc._.answer = answer
                doc._.answer_alone = bool(NOTHING_MORE.fullmatch(text[match.end():]))
                break
        return doc


# What may follow a reply that is only an answer ("nope lol", "not sure tbh").
NOTHING_MORE = re.compile(r"[\W_]*(?:(?:lol|tbh|honestly|really|mate|then|haha|sorry)[\W_]*)?")


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


@Language.factory("twitch_context_extra", default_config={"context": "twitch_context"})
def make_context_extra(nlp: Language, name: str, context: str):
    """Runs the ConText component over the overlapping findings kept aside too."""

    def apply(doc: Doc) -> Doc:
        if doc._.extra_findings:
            nlp.get_pipe(context)(doc, targets="extra_findings")
        return doc

    return apply


@Language.factory("twitch_questions")
def make_question_marker(nlp: Language, name: str) -> "QuestionMarker":
    return QuestionMarker(load_lexicon()["questions"])


class QuestionMarker:
    """Marks findings named inside a question: "can caffeine cause twitches?", "what's the
    difference between a cramp and a twitch", "should I take potassium tablets".

    A question is a clause (between commas, within a sentence) that opens with a question
    word ("what", "how", "should", ...) or with a verb ("can", "is", "does", ...) when the
    sentence ends with "?" or the clause asks about a cause ("can stress cause it").
    Whether the asker speaks of themselves ("why do I keep dropping things?") is noted
    too: the extractor keeps such red flags as reports.
    """

    def __init__(self, cues: dict):
        self.question_words = set(cues["question_words"])
        self.question_verbs = set(cues["question_verbs"])
        self.topic_words = set(cues["topic_words"])
        self.fillers = set(cues["fillers"])
        self.first_person = set(cues["first_person"])
        self.clause_breaks = set(cues["clause_breaks"])

    def clauses(self, sentence: Span) -> List[Span]:
        doc, start, found = sentence.doc, sentence.start, []
        for token in sentence:
            if token.lower_ in self.clause_breaks:
                if token.i > start:
                    found.append(doc[start:token.i])
                start = token.i + 1
        if start < sentence.end:
            found.append(doc[start:sentence.end])
        return found

    def is_question(self, clause: Span, sentence_asks: bool) -> bool:
        words = [t for t in clause if not t.is_punct]
        while words and words[0].lower_ in self.fillers:
            words = words[1:]
        if not words:
            return False
        first = words[0].lower_.replace("’", "'")
        if first in self.question_words:
            return True
        if first in self.question_verbs:
            return sentence_asks or any(t.norm_ in self.topic_words or t.lower_ in self.topic_words for t in words)
        return False

    def __call__(self, doc: Doc) -> Doc:
        questions = []
        for sentence in doc.sents:
            asks = "?" in sentence.text
            questions += [c for c in self.clauses(sentence) if self.is_question(c, asks)]
        for span in list(doc.ents) + list(doc._.extra_findings):
            for clause in questions:
                if clause.start <= span.start < clause.end:
                    span._.in_question = True
                    span._.question_about_self = any(
                        t.lower_.replace("’", "'") in self.first_person for t in clause)
        return doc


def build_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data
    vocabulary = {word.lower() for word in _phrase_words(load_lexicon())}
    vocabulary |= {"twitch", "twitching", "twitches", "muscle", "muscles", "calf", "calves", "eyelid"}
    nlp.add_pipe("twitch_normalizer", config={"vocabulary": sorted(vocabulary)})
    nlp.add_pipe("twitch_findings")
    nlp.add_pipe("twitch_duration")
    nlp.add_pipe("twitch_answer")
    nlp.add_pipe("twitch_context")
    nlp.add_pipe("twitch_context_extra")
    nlp.add_pipe("twitch_questions")
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
