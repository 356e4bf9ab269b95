"""spaCy component: marks findings named inside a question as topics, not reports."""

from typing import List

from spacy.language import Language
from spacy.tokens import Doc, Span

from twitch_nlp import extensions  # noqa: F401


@Language.factory(
    "twitch_questions",
    default_config={"cues": {}},
    requires=["doc.ents"],
    assigns=["span._.in_question", "span._.question_about_self"],
)
def make_question_marker(nlp: Language, name: str, cues: dict) -> "QuestionMarker":
    return QuestionMarker(cues)


class QuestionMarker:
    """ "can caffeine cause twitches?", "what's the difference between a cramp and a twitch",
    "should I take potassium tablets" name findings without reporting them.

    A question is a clause (between commas, within a sentence) that opens with a question
    word ("what", "how", "should", ...) or with a verb ("can", "is", "does", ...) when the
    sentence ends with "?" or the clause asks about a cause ("can stress cause it").
    Whether the asker speaks of themselves ("why do I keep dropping things?") is noted
    too: the extractor keeps such red flags as reports.
    """

    def __init__(self, cues: dict):
        self.question_words = set(cues.get("question_words", []))
        self.question_verbs = set(cues.get("question_verbs", []))
        self.topic_words = set(cues.get("topic_words", []))
        self.fillers = set(cues.get("fillers", []))
        self.first_person = set(cues.get("first_person", []))
        self.clause_breaks = set(cues.get("clause_breaks", []))

    def clauses(self, sentence: Span) -> List[Span]:
        doc, start, found = sentence.doc, sentence.start, []
        for token in sentence:
            if token.lower_ in self.clause_breaks:
                if token.i > start:
                    found.append(doc[start : token.i])
                start = token.i + 1
        if start < sentence.end:
            found.append(doc[start : sentence.end])
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
            clauses = self.clauses(sentence)
            if asks and clauses and self.is_question(clauses[0], asks):
                questions += clauses  # "what are the signs, like weakness or slurring?"
            else:
                questions += [c for c in clauses if self.is_question(c, asks)]
        for span in list(doc.ents) + list(doc._.extra_findings):
            for clause in questions:
                if clause.start <= span.start < clause.end:
                    span._.in_question = True
                    span._.question_about_self = any(t.lower_.replace("’", "'") in self.first_person for t in clause)
        return doc
