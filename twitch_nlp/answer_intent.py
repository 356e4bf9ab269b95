"""Rasa NLU component: a short reply that opens with yes / no / not sure is that answer.

DIET guesses intents from examples, and a short reply such as "ya, now and then",
"no everything's normal" or "nuh uh" sits between an answer and a description. When a
message opens with a literal answer (the `answer` entity of FindingExtractor), names no
finding, asks nothing and is short, the answer decides the intent, unless DIET is
confident that it is something else altogether ("nope, bye" stays a goodbye). A message
that is nothing but the answer ("difficult to say") is that answer whatever DIET thinks.
"""

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ANSWER_INTENTS = {"yes": "affirm", "no": "deny", "unsure": "unsure"}
NOT_FINDINGS = {"answer", "duration", "detail", "asks_back", "subject", "age", "names_all"}
ASK_WHY = "ask_why"
DESCRIBE = "describe_symptoms"
NOT_ABOUT_SYMPTOMS = {
    "start_over",
    "goodbye",
    "greet",
    "thank",
    "out_of_scope",
    "bot_challenge",
    "nlu_fallback",
    "ask_summary",
    "delete_my_data",
}
# Intents with lasting effects, taken only when the message has one of their words.
NEEDS_ITS_WORDS = {
    "delete_my_data": {
        "delete",
        "deleted",
        "delet",
        "erase",
        "forget",
        "remove",
        "wipe",
        "clear",
        "gdpr",
        "store",
        "stored",
        "keep",
        "data",
        "info",
        "information",
        "record",
        "records",
        "rid",
    },
    "start_over": {"start", "restart", "over", "again", "reset", "begin", "beginning", "new", "scratch", "fresh"},
}
WORD = re.compile(r"[\w']+")


def answer_intent(message: Dict[Text, Any], config: Dict[Text, Any]) -> Any:
    """The intent a literal reply calls for, or None to keep DIET's."""
    entities = message.get(ENTITIES) or []
    guess = message.get(INTENT) or {}
    faq = (
        str(guess.get("name") or "").startswith("ask_")
        and guess.get("name") != ASK_WHY
        and (guess.get("confidence") or 0) >= config["keep_above"]
    )
    if (
        any(e.get("entity") == "asks_back" for e in entities)
        and not faq
        and not any(e.get("entity") not in NOT_FINDINGS for e in entities)
    ):
        return ASK_WHY  # "why do you need to know that?" asks back and reports nothing
    intent_name = (message.get(INTENT) or {}).get("name")
    text_words = set(re.findall(r"[a-z']+", (message.get(TEXT) or "").lower()))  # "/start_over" too
    if intent_name in NEEDS_ITS_WORDS and not text_words & NEEDS_ITS_WORDS[intent_name]:
        # Deleting a conversation or restarting it is never done on a guess: "dont have any
        # of them" is an answer, however close it looks to "don't keep any of this".
        answers = [e.get("value") for e in entities if e.get("entity") == "answer"]
        if answers and answers[0] in ANSWER_INTENTS:
            return ANSWER_INTENTS[answers[0]]
        return DESCRIBE if any(e.get("entity") not in NOT_FINDINGS for e in entities) else "nlu_fallback"
    if intent_name in NOT_ABOUT_SYMPTOMS and any(
        e.get("entity") not in NOT_FINDINGS or e.get("entity") == "subject" for e in entities
    ):
        # "twitchy since I started running again" is not "start over"; a message the model
        # cannot place that names a symptom is a description, never a dead end
        return DESCRIBE
    answers = [e.get("value") for e in entities if e.get("entity") == "answer"]
    if not answers or answers[0] not in ANSWER_INTENTS:
        return None
    if any(e.get("entity") not in NOT_FINDINGS for e in entities):
        return None  # "yes my legs feel weak": a description that also answers
    text = message.get(TEXT) or ""
    if "?" in text or len(WORD.findall(text)) > config["max_words"]:
        return None
    intent = message.get(INTENT) or {}
    alone = any(e.get("alone") for e in entities if e.get("entity") == "answer")
    first = WORD.findall(text.lower())[:1]
    if not alone and not (first and first[0] in config["answer_words"]):
        return None  # "I have a headache": a statement that happens to open like "I have"
    if (
        not alone
        and intent.get("name") not in config["answer_like_intents"]
        and (intent.get("confidence") or 0) >= config["keep_above"]
    ):
        return None  # DIET is sure of something else, and there is more than the answer
    return ANSWER_INTENTS[answers[0]]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AnswerIntentClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "max_words": 8,
            # first words that make a reply an answer; "I have ...", "it is ..." may be statements
            "answer_words": [
                "yes",
                "yeah",
                "yep",
                "yup",
                "ya",
                "yea",
                "yess",
                "yah",
                "aye",
                "sure",
                "definitely",
                "absolutely",
                "correct",
                "indeed",
                "totally",
                "no",
                "nope",
                "nah",
                "nop",
                "naw",
                "nay",
                "nuh",
                "negative",
                "not",
                "maybe",
                "idk",
                "dunno",
                "unsure",
                "possibly",
                "perhaps",
                "probably",
                "could",
                "difficult",
                "hard",
                "tough",
                "kinda",
                "kind",
                "sort",
                "who",
                "dont",
                "don't",
                "doesn't",
                "didn't",
                "haven't",
                "havent",
                "hasn't",
                "none",
                "nothing",
                "never",
                "neither",
            ],
            # DIET's guesses that a literal answer may overrule at any confidence
            "answer_like_intents": ["affirm", "deny", "unsure", "describe_symptoms"],
            # any other intent is kept when DIET is at least this sure of it
            "keep_above": 0.6,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AnswerIntentClassifier":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            name = answer_intent(message.data, self.config)
            if name is None:
                continue
            # DIET's other guesses stay listed, at no confidence, so nothing looks ambiguous
            ranking = [{**r, "confidence": 0.0} for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
            message.set(INTENT, {"name": name, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": 1.0}] + ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
