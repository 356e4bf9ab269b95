"""Rasa NLU component: turns the spaCy doc made by SpacyNLP into finding entities.

Each finding mentioned becomes an entity named after the finding, whose value says
whether the person affirmed it ("yes"), denied it ("no") or was unsure ("unsure").
A specific word also yields a `detail` entity ("caffeine", "tremor"), a stated
duration a `duration` entity in days, and a reply that opens with yes / no / not sure
an `answer` entity (it answers whatever question is open).
"""

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.nlu.constants import SPACY_DOCS

import twitch_nlp.pipeline  # noqa: F401  (registers the spaCy factories SpacyNLP needs)
from twitch_nlp.pipeline import DENIAL, DENIED_ONLY

DETAIL_ONLY = "detail_only"


# Words that turn a denial around: "my strength is not normal", "legs aren't as strong".
# A reply's opening "no" / "nope" is not one of them: "nope, legs are strong" denies.
DENIAL_REVERSERS = {"not", "n't", "nt", "never", "hardly", "less", "longer", "lost", "losing", "lose"}
REVERSER_REACH = 3   # words before a denial that can still reverse it


@lru_cache(maxsize=1)
def red_flags() -> frozenset:
    """Findings that call for same-day help: reported even inside a question about oneself."""
    from triage.engine import load_knowledge

    return frozenset(load_knowledge().red_flags())


def _reversed(span: Any) -> bool:
    doc, start = span.doc, span.start
    while start > 0 and span.start - start < REVERSER_REACH and not doc[start - 1].is_punct:
        start -= 1
    return any(t.norm_ in DENIAL_REVERSERS or t.lower_ in DENIAL_REVERSERS for t in doc[start:span.end])


PATTERN = "benign_pattern"   # when and where the twitches show ("at night", "at rest")


def _qualifies_another(span: Any, spans: List[Any]) -> bool:
    """ "cramps at night", "sweats in bed": the time belongs to the symptom just before."""
    return any(other is not span and other.label_.split("|")[0] != PATTERN and 0 <= span.start - other.end <= 1
               for other in spans)


def value_of(span: Any, finding: Text, kind: Text) -> Optional[Text]:
    """yes / no / unsure for one finding span, or None when it reports nothing."""
    if span._.is_family:
        return None  # someone else's symptom
    if span._.in_question and not (finding in red_flags() and span._.question_about_self):
        return None  # "can caffeine cause twitches?" asks about a topic
    if kind == DENIED_ONLY:
        return "no" if span._.is_negated else None
    if kind == DENIAL:
        if span._.is_uncertain or span._.is_hypothetical:
            return None  # "I think my strength is fine": ask rather than guess
        return "yes" if _reversed(span) else "no"
    if span._.is_negated:
        return "no"
    if span._.is_uncertain:
        return "unsure"  # before hypothetical: "not sure if I fainted" is a maybe
    if span._.is_hypothetical:
        return None  # a worry ("what if I get weak"), not a symptom
    return "yes"


def entities_from_doc(doc: Any) -> List[Dict[Text, Any]]:
    """Finding, detail and duration entities for one spaCy doc."""
    entities = []
    spans = list(doc.ents) + list(doc._.extra_findings)
    for span in spans:
        finding, detail, kind = span.label_.split("|")
        value = value_of(span, finding, kind)
        if value is None or (finding == PATTERN and _qualifies_another(span, spans)):
            continue
        position = {"start": span.start_char, "end": span.end_char}
        if finding != DETAIL_ONLY:
            entities.append({"entity": finding, "value": value, **position})
        if detail and value == "yes":
            entities.append({"entity": "detail", "value": detail, **position})
    if doc._.answer:
        # "alone": the message is only that answer ("nuh uh", "not sure tbh")
        entities.append({"entity": "answer", "value": doc._.answer, "start": 0, "end": len(doc.text),
                         "alone": bool(doc._.answer_alone)})
    days = doc._.duration_days
    if days is not None:
        entities.append({"entity": "duration", "value": str(round(days)), "start": 0, "end": len(doc.text)})
    return entities


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
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
            # Nothing after this component needs the Doc, and its medspaCy spans cannot be
            # deep-copied, which Rasa does to a parse result when the fallback fires.
            message.data.pop(SPACY_DOCS[TEXT], None)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
