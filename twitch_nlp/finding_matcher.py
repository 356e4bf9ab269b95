"""spaCy component: marks the lexicon's phrases as doc.ents labelled "finding|detail|kind"."""

from typing import TYPE_CHECKING, Dict, List, cast

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from twitch_nlp import extensions  # noqa: F401  (registers the attributes set here)
from twitch_nlp.lexicon import GAP, MAX_GAP, REPORTS, WORD_CLASS, phrase_entries

if TYPE_CHECKING:
    from twitch_nlp.normalizer import Normalizer

LIST_JOINERS = {"and", "or", "nor", ",", "/", "&"}


@Language.factory(
    "twitch_findings",
    default_config={"lexicon": {}},
    requires=["token.norm"],
    assigns=["doc.ents", "doc._.extra_findings"],
)
def make_finding_matcher(nlp: Language, name: str, lexicon: dict) -> "FindingMatcher":
    return FindingMatcher(nlp, lexicon)


class FindingMatcher:
    """The phrases come from the component's config (twitch_nlp.lexicon.matcher_data), so a
    saved pipeline carries them."""

    def __init__(self, nlp: Language, lexicon: dict):
        # Exact phrases own all their words ("chronic diarrhoea" is history, not a fluid loss);
        # loose ones, with a gap or a word class, do not ("raised my levothyroxine dose").
        self.exact, self.loose = Matcher(nlp.vocab), Matcher(nlp.vocab)
        # spaCy types a pipe as Pipe; this one is the project's Normalizer (pipeline.py)
        normalizer = cast("Normalizer", nlp.get_pipe("twitch_normalizer"))
        classes = {
            name: sorted({normalizer.lemma_of(word.lower()) for word in words})
            for name, words in (lexicon.get("word_classes") or {}).items()
        }
        for label, detail, phrase, kind in phrase_entries(lexicon) if lexicon else []:
            loose = GAP in phrase.split() or WORD_CLASS.search(phrase)
            matcher = self.loose if loose else self.exact
            matcher.add(f"{label}|{detail or ''}|{kind}", [self._pattern(nlp, normalizer, phrase, classes)])

    @staticmethod
    def _pattern(nlp: Language, normalizer, phrase: str, classes: Dict[str, List[str]]) -> List[dict]:
        pattern: List[dict] = []
        for part in phrase.split():
            if part == GAP:
                pattern += [{"OP": "?"}] * MAX_GAP
                continue
            if part.startswith("=") and len(part) > 1:  # this very word, not its lemma
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
        spans = [Span(doc, start, end, label=match_id) for match_id, start, end in self.exact(doc) + self.loose(doc)]
        # Longest match wins: "chronic diarrhoea" is history, not a fluid loss.
        kept = filter_spans(spans)
        # spaCy's stub types the setter's value as Tuple[Span]; it takes any sequence of spans
        doc.ents = _join_lists(doc, kept)  # type: ignore[assignment]
        # ... but a match naming another finding inside a loose one, or on the very same
        # words, is kept aside: "raised my levothyroxine dose" is a medicine change and a
        # thyroid history; "food poisoning" a fluid loss and a recent illness. A denial
        # ("can still run") keeps its words to itself.
        taken = {(s.start, s.end, s.label_) for s in kept}
        extra = []
        for span in spans:
            overlapping = [o for o in kept if o.start < span.end and span.start < o.end]
            if (span.start, span.end, span.label_) in taken or span._.phrase_kind != REPORTS:
                continue
            if all(
                o._.phrase_kind == REPORTS
                and o._.finding != span._.finding
                and ((o.start, o.end) in loose or (o.start, o.end) == (span.start, span.end))
                and not (
                    o._.detail
                    and o.start <= span.start
                    and span.end <= o.end
                    and (o.start, o.end) != (span.start, span.end)
                )
                for o in overlapping
            ):
                # kept aside, unless a more specific phrase holds it ("night sweats" is not "sweat")
                extra.append(span)
        doc._.extra_findings = filter_spans(extra)
        return doc


def _join_lists(doc: Doc, spans: List[Span]) -> List[Span]:
    """ "swallowing and speech fine": one finding listed twice is one target for ConText,
    so a cue before or after the list covers all of it."""
    joined: List[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.label == span.label
            and all(t.lower_ in LIST_JOINERS for t in doc[previous.end : span.start])
        ):
            joined[-1] = Span(doc, previous.start, span.end, label=span.label)
        else:
            joined.append(span)
    return joined
