"""The custom attributes the pipeline's components set on docs and spans.

A finding span's label is "finding|detail|kind" (spaCy labels are strings); the
getters below are the only place that reads it.
"""

from typing import Any, Dict

from spacy.tokens import Doc, Span

DOC_EXTENSIONS: Dict[str, Any] = {
    "duration_days": None,  # how long the twitching has lasted, in days
    "duration_of_twitching": False,  # said of the twitching ("twitching for 3 weeks")
    "answer": None,  # "yes" / "no" / "unsure" when the message opens with one
    "answer_alone": False,  # the message is only that answer ("nuh uh")
    "asks_back": False,  # a question back instead of an answer ("why do you ask?")
    # Findings whose words overlap a longer finding of another kind ("raised my
    # levothyroxine dose" is a medicine change and a thyroid history): doc.ents cannot overlap.
    "extra_findings": [],
    "subject": None,  # whose symptoms the message is about: "self", "other:dad", ...
}
SPAN_EXTENSIONS: Dict[str, Any] = {
    # a finding named inside a question ("can caffeine cause twitching?") is a topic
    "in_question": False,
    "question_about_self": False,
    "experiencer": None,  # "self", "other:<relation>", "pronoun" or None (not said)
    "is_past": False,  # long ago ("I fainted once as a teenager")
}


def _label_part(index: int, empty):
    return lambda span: (span.label_.split("|") + ["", "", ""])[index] or empty


def register() -> None:
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for index, (name, empty) in enumerate((("finding", None), ("detail", None), ("phrase_kind", ""))):
        if not Span.has_extension(name):
            Span.set_extension(name, getter=_label_part(index, empty))


register()
