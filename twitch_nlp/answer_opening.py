"""spaCy component: how a reply opens ("yes", "no", "unsure"), and whether it asks back.

Recognised only at the start of a message (or right after a question back: "hmm why? no"),
so "no, strength is normal" answers the open question even when it names nothing.
A hedged no ("don't think so", "not that I know of") is a no; genuine uncertainty
("no idea", "maybe", "can't tell") is unsure; a hedged yes ("I think so") is a yes.
"""

import re
from typing import Dict, List, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from twitch_nlp import extensions  # noqa: F401

FILLER = re.compile(r"^(?:(?:um+|uh+|well|hmm+|mm+|so|oh|erm|ok|okay|honestly|actually|hm+|but|and|anyway)\b[\s,.]*)+")
# What may follow a reply that is only an answer ("nope lol", "not sure tbh").
NOTHING_MORE = re.compile(
    r"[\W_]*(?:(?:lol|tbh|honestly|really|mate|then|haha|sorry|thankfully|thank god|at all)[\W_]*)*"
)
TRIPLED = re.compile(r"(\w)\1{2,}")
# A caregiver passing on an answer: "he says no", "I asked her, she says not really".
REPORTED = re.compile(
    r"^(?:i asked (?:him|her|them)[,.]?\s*)?(?:[\w']+\s+){0,2}(?:says|said|reckons|tells me|told me)\s+(?:that\s+)?(?=\w)"
)


@Language.factory(
    "twitch_answer",
    default_config={"openers": {}, "ask_back": []},
    assigns=["doc._.answer", "doc._.answer_alone", "doc._.asks_back"],
)
def make_answer_detector(
    nlp: Language, name: str, openers: Dict[str, List[str]], ask_back: List[str]
) -> "AnswerDetector":
    return AnswerDetector(openers, ask_back)


class AnswerDetector:
    def __init__(self, openers: Dict[str, List[str]], ask_back: List[str]):
        # longest opener first, so "no idea" (unsure) wins over "no"
        pairs: List[Tuple[str, str]] = sorted(
            ((str(phrase), str(answer)) for answer, phrases in openers.items() for phrase in phrases),
            key=lambda pair: -len(pair[0]),
        )
        self.patterns = [(re.compile(rf"^{re.escape(p)}(?![\w'])"), answer) for p, answer in pairs]
        words = sorted(ask_back, key=len, reverse=True)
        self.ask_back = re.compile(r"^(?:" + "|".join(map(re.escape, words)) + r")(?![\w'])") if words else None

    def opening(self, text: str) -> Tuple[str, str]:
        """(answer, rest of the text) for a text, or ("", text)."""
        text = REPORTED.sub("", FILLER.sub("", text))
        for pattern, answer in self.patterns:
            match = pattern.match(text)
            if match:
                return answer, text[match.end() :]
        return "", text

    def __call__(self, doc: Doc) -> Doc:
        text = re.sub(r"^[^\w]+", "", TRIPLED.sub(r"\1", doc.text.lower().replace("’", "'")))
        answer, rest = self.opening(text)
        if not answer and "?" in text:
            # "why? no", "is that bad? don't think so": the answer after a question back
            after = re.sub(r"^[^\w]+", "", text.rsplit("?", 1)[1])
            answer, rest = self.opening(after) if after else ("", "")
        doc._.answer = answer or None
        doc._.answer_alone = bool(answer) and bool(NOTHING_MORE.fullmatch(rest))
        doc._.asks_back = (
            not answer and "?" in text and bool(self.ask_back and self.ask_back.match(FILLER.sub("", text)))
        )
        return doc
