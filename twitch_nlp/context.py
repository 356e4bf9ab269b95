"""spaCy components: medspaCy ConText (negation, uncertainty, hypotheticals, long ago) with
everyday conversational cues, over the findings and over the overlapping ones kept aside."""

import re
from typing import Dict, List, Optional

import medspacy  # noqa: F401  (registers medspaCy's factories)
from medspacy.context import ConText, ConTextRule
from spacy.language import Language
from spacy.tokens import Doc

LONG_AGO = "LONG_AGO"  # our own category: "I fainted once as a teenager"


@Language.factory("twitch_context", default_config={"cues": {}}, requires=["doc.ents"])
def make_context(nlp: Language, name: str, cues: Dict[str, Dict[str, List[str]]]):
    # A cue inside a finding ("can't breathe", "not sleeping") belongs to that finding.
    component = ConText(nlp, name=name, rules=None, prune_on_target_overlap=True)
    component.add(default_rules() + conversational_rules(cues) + LONG_AGO_PATTERNS)
    return component


def default_rules() -> List[ConTextRule]:
    """medspaCy's clinical rules, less those made for clinical notes that reach across a
    colon ("problem list: no ..."), which here would swallow "nothing else: no weakness"."""
    from medspacy.context.context import DEFAULT_RULES_FILEPATH

    return [
        rule
        for rule in ConTextRule.from_json(DEFAULT_RULES_FILEPATH)
        if not rule.literal.lstrip().startswith(":") and not OVERLAPS_A_FINDING.search(rule.literal)
    ]


# A cue ending in "had" or "have" ("never had") would overlap "had a fit" and be dropped
# with it; "never" on its own does the work.
OVERLAPS_A_FINDING = re.compile(r"\b(?:had|have|has)\s*$", re.IGNORECASE)


# "when I was 19", "in 2020", "20 years ago": long ago, anywhere in the sentence.
LONG_AGO_PATTERNS = [
    ConTextRule(
        literal="when i was <age>",
        category=LONG_AGO,
        direction="BIDIRECTIONAL",
        pattern=[{"LOWER": "when"}, {"LOWER": {"IN": ["i", "he", "she"]}}, {"LOWER": "was"}, {"LIKE_NUM": True}],
    ),
    ConTextRule(
        literal="in <year>",
        category=LONG_AGO,
        direction="BIDIRECTIONAL",
        pattern=[{"LOWER": {"IN": ["in", "back"]}}, {"TEXT": {"REGEX": "^(19|20)[0-9][0-9]$"}}],
    ),
    ConTextRule(
        literal="<n> years ago",
        category=LONG_AGO,
        direction="BIDIRECTIONAL",
        pattern=[{"LIKE_NUM": True}, {"LOWER": {"IN": ["years", "yrs", "year"]}}, {"LOWER": "ago"}],
    ),
]


def conversational_rules(cues: Dict[str, Dict[str, List[str]]]) -> List[ConTextRule]:
    rules = []
    for category, by_direction in cues.items():
        directions: Dict[str, set] = {}
        for direction, words in by_direction.items():
            for cue in words:
                directions.setdefault(str(cue), set()).add(direction.upper())
        for cue, found in directions.items():
            max_scope: Optional[int]
            if found == {"FORWARD", "BACKWARD"}:
                # "I think I fainted" and "I fainted, I think": both ways, but only nearby
                direction, max_scope = "BIDIRECTIONAL", 5
            else:
                (direction,) = found
                # a cue placed after a finding reaches only the word just before it, except
                # a time long ago ("fainted once, years ago")
                max_scope = 1 if direction == "BACKWARD" and category != LONG_AGO else None
                if direction == "BACKWARD" and category == LONG_AGO:
                    max_scope = 8
            rules.append(ConTextRule(literal=cue, category=category, direction=direction, max_scope=max_scope))
    return rules


def is_long_ago(span) -> bool:
    return any(modifier.category == LONG_AGO for modifier in getattr(span._, "modifiers", ()) or ())


@Language.factory(
    "twitch_context_extra", default_config={"context": "twitch_context"}, requires=["doc._.extra_findings"]
)
def make_context_extra(nlp: Language, name: str, context: str):
    """Runs the ConText component over the overlapping findings kept aside too."""

    def apply(doc: Doc) -> Doc:
        if doc._.extra_findings:
            # medspaCy's ConText takes `targets`; spaCy types every pipe as Pipe.__call__(doc)
            nlp.get_pipe(context)(doc, targets="extra_findings")  # type: ignore[call-arg]
        return doc

    return apply
