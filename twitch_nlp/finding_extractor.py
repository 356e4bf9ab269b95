"""Rasa NLU component: turns the spaCy doc made by SpacyNLP into finding entities.

Each finding mentioned becomes an entity named after the finding, whose value says
whether the person affirmed it ("yes"), denied it ("no") or was unsure ("unsure").
A specific word also yields a `detail` entity ("caffeine", "tremor"), a stated
duration a `duration` entity in days, and a reply that opens with yes / no / not sure
an `answer` entity (it answers whatever question is open).
"""

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

DETAIL_ONLY = "detail_only"


def entities_from_doc(doc: Any) -> List[Dict[Text, Any]]:
    """Finding, detail and duration entities for one spaCy doc."""
    entities = []
    for span in doc.ents:
        if span._.is_family:
            continue  # someone else's symptom
        finding, detail = span.label_.split("|")
        if span._.is_negated:
            value = "no"
        elif span._.is_uncertain:
            value = "unsure"  # before hypothetical: "not sure if I fainted" is a maybe
        elif span._.is_hypothetical:
            continue  # a worry ("what if I get weak"), not a symptom
        else:
            value = "yes"
        position = {"start": span.start_char, "end": span.end_char}
        if finding != DETAIL_ONLY:
            entities.append({"entity": finding, "value": value, **position})
        if detail and value == "yes":
            entities.append({"entity": "detail", "value": detail, **position})
    if doc._.answer:
        entities.append({"entity": "answer", "value": doc._.answer, "start": 0, "end": len(doc.text)})
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
