"""Rasa NLU component: turns the spaCy doc made by SpacyNLP into finding entities.

Each finding mentioned becomes an entity named after the finding, whose value says
whether it was affirmed ("yes"), denied ("no") or uncertain ("unsure"), with whose it is
(`experiencer`: "self", "other:dad", "pronoun" or None). A specific word also yields a
`detail` entity ("caffeine", "tremor"), a stated duration a `duration` entity in days, a
reply that opens with yes / no / not sure an `answer` entity, a question back an
`asks_back` entity, whom the message is about a `subject` entity, and a stated age an
`age` entity. Which findings belong to the assessment is decided per conversation
(twitch_nlp.experiencer.counts_for), by the action that fills the slots.
"""

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import twitch_nlp.pipeline  # noqa: F401  (registers the spaCy factories SpacyNLP needs)
from triage.engine import load_knowledge
from twitch_nlp.context import is_long_ago
from twitch_nlp.experiencer import age_in
from twitch_nlp.lexicon import DENIAL, DENIED_ONLY, DETAIL_ONLY, load_lexicon

# Words that turn a denial around: "my strength is not normal", "legs aren't as strong".
# A reply's opening "no" / "nope" is not one of them: "nope, legs are strong" denies.
DENIAL_REVERSERS = {"not", "n't", "nt", "never", "hardly", "less", "longer", "lost", "losing", "lose"}
REVERSER_REACH = 3  # words before a denial that can still reverse it
PATTERN = "benign_pattern"  # when and where the twitches show ("at night", "at rest")
# Qualities said in the same sentence as a finding: (detail, findings it qualifies, lexicon key)
QUALIFIERS = (
    ("sudden_onset", ("weakness", "speech_swallowing"), "sudden_cues"),
    ("rapid_progression", ("muscle_wasting",), "rapid_cues"),
)
# Findings a question about oneself still reports ("why do I keep dropping things?"): those
# that alone call for same-day help or more (triage/knowledge.yml).
SAME_DAY_FINDINGS = frozenset(load_knowledge().red_flags())
HAPPENING = re.compile(
    r"\b(?:is|are|'s|keeps?)\s+(?!\w*(?:fine|ok|okay|better)\b)\w+ing\b", re.IGNORECASE
)  # "is gasping"


def _reversed(span: Any) -> bool:
    """A reverser just before the denial or inside it ("strength is not normal"), but not
    the denial's own first word ("not weak")."""
    doc, start = span.doc, span.start
    while start > 0 and span.start - start < REVERSER_REACH and not doc[start - 1].is_punct:
        start -= 1
    words = list(doc[start : span.start]) + list(doc[span.start + 1 : span.end])
    return any(t.norm_ in DENIAL_REVERSERS or t.lower_ in DENIAL_REVERSERS for t in words)


def _qualifies_another(span: Any, spans: List[Any]) -> bool:
    """ "cramps at night", "sweats in bed": the time belongs to the symptom just before."""
    return any(other is not span and other._.finding != PATTERN and 0 <= span.start - other.end <= 1 for other in spans)


def value_of(span: Any, finding: Text, kind: Text) -> Optional[Text]:
    """yes / no / unsure for one finding span, or None when it reports nothing."""
    if span._.in_question and not (finding in SAME_DAY_FINDINGS and span._.question_about_self):
        return None  # "can caffeine cause twitches?" asks about a topic
    if finding == "emergency_signs" and is_long_ago(span):
        return None  # "I fainted once as a teenager": the screen asks about now
    if kind == DENIED_ONLY:
        return "no" if span._.is_negated else None
    if kind == DENIAL:
        if span._.is_hypothetical:
            return None
        # "I think my strength is ok" is a hedged no, and a hedged no is a no
        return "yes" if _reversed(span) else "no"
    if span._.is_negated:
        return "no"
    if span._.is_hypothetical:
        return None  # a worry ("what if I get weak"), not a symptom
    if span._.is_uncertain:
        return "unsure"
    return "yes"


@lru_cache(maxsize=1)
def _cues() -> Dict[str, List[str]]:
    lexicon = load_lexicon()
    keys = [key for _, _, key in QUALIFIERS] + ["slow_cues", "recent_cues", "only_words"]
    return {key: [c.lower() for c in lexicon[key]] for key in keys}


def _says(text: str, key: str) -> bool:
    padded = " " + re.sub(r"[^\w'\s-]", " ", text.lower()) + " "
    return any(f" {cue} " in padded for cue in _cues()[key])


def _qualifier_details(doc: Any, spans_with_values: List[Any]) -> List[str]:
    """ "suddenly", "40 minutes ago" anywhere in the message, unless it also says the change
    was slow ("slowly getting worse, not suddenly")."""
    found = []
    for detail, findings, key in QUALIFIERS:
        spans = [span for span, value in spans_with_values if value == "yes" and span._.finding in findings]
        slow = any(_says_unnegated(_clause_of(span), "slow_cues") for span in spans)  # said of that change
        if spans and _says_unnegated(doc.text, key) and not (detail == "sudden_onset" and slow):  # "not suddenly"
            found.append(detail)
    return found


def _clause_of(span: Any) -> str:
    """The clause of the sentence a span is in: "twitched for months, but an hour ago my arm
    went weak" has the slow words in another clause."""
    sentence = span.sent
    start, end = sentence.start, sentence.end
    for token in sentence:
        if token.lower_ in (",", "but", ";") and token.i < span.start:
            start = token.i + 1
        if token.lower_ in (",", "but", ";") and token.i >= span.end:
            end = token.i
            break
    return span.doc[start:end].text


def _says_unnegated(text: str, key: str) -> bool:
    """Like _says, but "not slowly" does not say slowly."""
    padded = " " + re.sub(r"[^\w'\s-]", " ", text.lower()) + " "
    return any(f" {cue} " in padded and f" not {cue} " not in padded for cue in _cues()[key])


def entities_from_doc(doc: Any) -> List[Dict[Text, Any]]:
    """Finding, detail, duration, answer, subject and age entities for one spaCy doc."""
    entities = []
    spans = list(doc.ents) + list(doc._.extra_findings)
    valued = []
    for span in spans:
        finding, detail, kind = span._.finding, span._.detail, span._.phrase_kind
        value = value_of(span, finding, kind)
        if value is None or (finding == PATTERN and _qualifies_another(span, spans)):
            continue
        valued.append((span, value))
        extra = {"start": span.start_char, "end": span.end_char, "experiencer": span._.experiencer}
        if (
            finding == "emergency_signs"
            and value == "yes"
            and (_says(span.sent.text, "recent_cues") or HAPPENING.search(span.sent.text))
        ):
            extra["now"] = True  # happening now or today, not a story from before
        if finding != DETAIL_ONLY:
            entities.append({"entity": finding, "value": value, **extra})
        if detail and value == "yes":
            entities.append({"entity": "detail", "value": detail, **extra})
    for detail in _qualifier_details(doc, valued):
        span = next(s for s, v in valued if v == "yes")
        entities.append(
            {"entity": "detail", "value": detail, "start": 0, "end": len(doc.text), "experiencer": span._.experiencer}
        )
    whole = {"start": 0, "end": len(doc.text)}
    if doc._.answer:
        # "alone": the message is only that answer ("nuh uh")
        entities.append({"entity": "answer", "value": doc._.answer, **whole, "alone": bool(doc._.answer_alone)})
    if doc._.asks_back:
        entities.append({"entity": "asks_back", "value": "yes", **whole})
    if _says(doc.text, "only_words"):
        entities.append({"entity": "names_all", "value": "yes", **whole})  # "just the cramps"
    if doc._.duration_days is not None:
        entities.append(
            {
                "entity": "duration",
                "value": str(round(doc._.duration_days)),
                **whole,
                "of_twitching": bool(doc._.duration_of_twitching),
            }
        )
    if doc._.subject:
        entities.append({"entity": "subject", "value": doc._.subject, **whole})
    age = age_in(doc.text)
    if age is not None:
        entities.append({"entity": "age", "value": str(age), **whole})
    return entities


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FindingExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def required_components() -> List[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FindingExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            found = self.add_extractor_name(entities_from_doc(doc))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
            # Nothing after this component needs the Doc (config.yml puts no spaCy component
            # after it), and its medspaCy spans cannot be deep-copied, which Rasa does to a
            # parse result when the fallback fires.
            message.data.pop(SPACY_DOCS[TEXT], None)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
