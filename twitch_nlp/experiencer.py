"""spaCy component: whose symptoms each finding is, and whom the message is about.

Each finding span gets span._.experiencer: "self" (the person chatting), "other:<relation>"
("other:dad", "other:someone" for a friend or colleague mentioned in passing), or None
when the words do not say (an answer to a question, "then collapsed on the floor").
A pronoun ("she", "his") points to the last person named in the message, or stays
"pronoun". doc._.subject is who the message is about: the owner of the twitching, or
the person the writer asks for ("asking for my dad"), or the owner of the first finding.

`counts_for(experiencer, subject)` says which findings belong to the assessment.
"""

import re
from typing import Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from twitch_nlp import extensions  # noqa: F401

from twitch_nlp.subjects import PRONOUN, SELF, SOMEONE, counts_for, unnamed  # noqa: F401  (re-exported)

LOOK_AHEAD = 5  # "my 8 year old son": words between "my" and the relation
POSSESSIVE_PRONOUNS = {"his", "her", "their"}  # "his friend", "her mum": a third person
AGE_RE = re.compile(
    r"\(\s*(\d{1,2})\s*\)|\bage[d]?\s+(\d{1,2})\b"
    r"|\b(?:is|'s|turned|just turned)\s+(\d{1,2})\b(?!\s*(?:days?|weeks?|months?|years?\s+ago|%|am|pm|kg|kilos?|lbs?|times|minutes|hours|cups|cans))"
    r"|\b(\d{1,2})\s*-?\s*(?:yo|y/o|yrs?[\s-]*old|years?[\s-]*old|month[\s-]*old|months[\s-]*old)\b",
    re.IGNORECASE,
)


@Language.factory(
    "twitch_experiencer",
    default_config={"people": {}},
    requires=["doc.ents", "doc._.extra_findings"],
    assigns=["span._.experiencer", "doc._.subject"],
)
def make_experiencer(nlp: Language, name: str, people: dict) -> "ExperiencerMarker":
    return ExperiencerMarker(people)


class ExperiencerMarker:
    def __init__(self, people: dict):
        self.self_words = set(people.get("self_words", []))
        self.possessives = set(people.get("possessives", []))
        self.pronouns = set(people.get("pronouns", []))
        self.relations: Dict[str, str] = {
            word: group for group, words in (people.get("relations") or {}).items() for word in words
        }
        self.generic = set(people.get("generic", []))
        self.articles = set(people.get("articles", []))
        self.body_parts = set(people.get("body_parts", []))
        self.twitch_prefixes = tuple(people.get("twitch_prefixes", []))
        self.asking_for = [
            re.compile(rf"\b{p}\s+(my|our|a|an|the|someone|somebody)\b\s*(\w*)", re.I)
            for p in people.get("asking_for", [])
        ]

    def _relation_after(self, doc: Doc, i: int) -> Tuple[Optional[str], int]:
        """The relation named within a few words after token i ("my 8 year old son"), and
        where it ends; (None, i) at a body part or another sentence ("my legs")."""
        for token in doc[i + 1 : i + 1 + LOOK_AHEAD]:
            word = token.lower_
            if word in self.relations:
                return self.relations[word], token.i
            if word in self.body_parts or token.norm_ in self.body_parts or token.is_sent_start:
                return None, i
        return None, i

    def mentions(self, doc: Doc) -> List[Optional[str]]:
        """The person each token is about, carried forward within a sentence."""
        current: Optional[str] = None
        last_person: Optional[str] = None
        out: List[Optional[str]] = []
        skip_until = -1
        for token in doc:
            if token.is_sent_start:
                current = None
            word = token.lower_.replace("’", "'")
            if token.i > skip_until:
                if word in self.possessives:
                    relation, skip_until = self._relation_after(doc, token.i)
                    current = f"other:{relation}" if relation else SELF
                    if relation:
                        last_person = current
                elif word in self.self_words:
                    current = SELF
                elif word in POSSESSIVE_PRONOUNS and self._relation_after(doc, token.i)[0]:
                    current = SOMEONE  # "his friend", "her mum": a third person
                    skip_until = self._relation_after(doc, token.i)[1]
                elif word in self.pronouns:
                    current = last_person or PRONOUN
                elif (
                    word in self.articles
                    and self._relation_after(doc, token.i)[0]
                    and not (token.i > 0 and doc[token.i - 1].lower_ in ("'m", "am", "im"))
                ):  # not "I'm a woman"
                    current = SOMEONE
                    skip_until = self._relation_after(doc, token.i)[1]
                elif word in self.generic:
                    current = SOMEONE
                elif word in self.relations and self.relations[word] != "someone":
                    current = last_person = f"other:{self.relations[word]}"  # "Dad fainted", "colleague is sick"
            out.append(current)
        return out

    def _owner(self, doc: Doc, i: int, people: List[Optional[str]]) -> Tuple[Optional[str], bool]:
        """Whose twitching, and whether the words say so plainly: the owner of the body part
        right after ("twitches in my thighs", "in his calves"), else the person named before
        it ("my dad keeps twitching", "she says twitching can be from that")."""
        for j in range(i + 1, min(len(doc), i + 1 + LOOK_AHEAD)):
            if doc[j].is_sent_start or doc[j].is_punct:
                break
            if doc[j].lower_ in self.possessives | self.pronouns and people[j] and people[j] != SOMEONE:
                return people[j], True
        return people[i], False

    def __call__(self, doc: Doc) -> Doc:
        people = self.mentions(doc)
        for span in list(doc.ents) + list(doc._.extra_findings):
            # The person named before the finding, unless the writer's own "my" comes inside it
            # ("upped my sertraline"); a relation inside is an object ("didn't recognise my husband").
            inside = people[span.end - 1]
            span._.experiencer = inside if inside == SELF or people[span.start] is None else people[span.start]
        doc._.subject = self.subject(doc, people)
        return doc

    def subject(self, doc: Doc, people: List[Optional[str]]) -> Optional[str]:
        for pattern in self.asking_for:
            match = pattern.search(doc.text)
            if not match:
                continue
            determiner, noun = match.group(1).lower(), match.group(2).lower()
            if determiner in ("my", "our") and noun in self.relations:
                return f"other:{self.relations[noun]}"  # "asking for my dad"
            if determiner in ("someone", "somebody") or noun in self.relations:
                return SOMEONE  # "asking for a friend": someone, named later if at all
        twitching = [self._owner(doc, t.i, people) for t in doc if t.lower_.startswith(self.twitch_prefixes)]
        for owner, plain in sorted(twitching, key=lambda pair: not pair[1]):
            if owner and owner != SOMEONE:
                return owner
        if twitching:
            return SELF  # "twitching in both calves": the writer's own, unless said otherwise
        for span in sorted(list(doc.ents), key=lambda s: s.start):
            if span._.experiencer:
                return span._.experiencer
        return None


def age_in(text: str) -> Optional[int]:
    """An age stated in the text ("my son (8)", "she's 14", "a 10 year old"), if any."""
    match = AGE_RE.search(text)
    if not match:
        return None
    if "month" in match.group(0).lower():
        return 0
    return int(next(group for group in match.groups() if group))
