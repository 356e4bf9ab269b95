"""The lexicon (twitch_nlp/lexicon.yml) and the conventions of its phrases.

Phrases are matched on normalised tokens (lower case, typos corrected, lemmatised).
Inside a phrase, "..." allows up to three words in between, "<medicine>" any word of
that word class, and "=word" that very word rather than its lemma.
"""

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import yaml

LEXICON_FILE = Path(__file__).with_name("lexicon.yml")
GAP = "..."
MAX_GAP = 3
WORD_CLASS = re.compile(r"<(\w+)>")

# How a phrase reports its finding:
REPORTS = ""  # the finding is present, unless ConText says otherwise
DENIAL = "denial"  # "strength is normal": the finding is absent ("not as strong": present)
DENIED_ONLY = "denied"  # "not on any meds": counts only when denied
DETAIL_ONLY = "detail_only"  # a detail with no finding of its own (fatigue)


@lru_cache(maxsize=None)
def load_lexicon(path: Path = LEXICON_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def phrase_entries(lexicon: dict) -> List[Tuple[str, Optional[str], str, str]]:
    """(finding, detail, phrase, kind) for every phrase of the lexicon."""
    entries: List[Tuple[str, Optional[str], str, str]] = []
    for finding, phrases in lexicon["findings"].items():
        entries += [(finding, None, phrase, REPORTS) for phrase in phrases or []]
    for detail, spec in lexicon["details"].items():
        label = spec["finding"] or DETAIL_ONLY
        entries += [(label, detail, phrase, REPORTS) for phrase in spec["phrases"]]
    for kind, section in ((DENIAL, "denials"), (DENIED_ONLY, "denied_only")):
        for finding, phrases in (lexicon.get(section) or {}).items():
            entries += [(finding, None, phrase, kind) for phrase in phrases or []]
    return entries


def phrase_words(lexicon: dict) -> Iterable[str]:
    """Every word of the lexicon's phrases and word classes (the typo corrector's vocabulary)."""
    for _, _, phrase, _ in phrase_entries(lexicon):
        yield from (word.lstrip("=") for word in phrase.split() if word != GAP and not WORD_CLASS.fullmatch(word))
    for words in (lexicon.get("word_classes") or {}).values():
        yield from words


def matcher_data(lexicon: dict) -> dict:
    """The parts of the lexicon the finding matcher needs (saved with the pipeline)."""
    keys = ("findings", "details", "denials", "denied_only", "word_classes")
    return {key: lexicon.get(key) or {} for key in keys}
