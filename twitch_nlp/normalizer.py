"""spaCy component: sets token.norm_ to the lemma of each word, after fixing likely typos."""

import difflib
import gzip
import json
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Dict, Iterable, List

from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.tokens import Doc

COMMON_WORD_LOG_PROBABILITY = -16  # keeps ~49k everyday words, leaves out rare misspellings
# Red-flag words are worth a looser match: "brethe", "siezure", "fanted", "swolow".
RED_FLAG_CUTOFF = 0.75
CUTOFF = 0.8


@lru_cache(maxsize=1)
def common_english_words() -> frozenset:
    """Everyday English words (spacy-lookups-data word frequencies), never "corrected".

    Without it "wake" would become "weak" and "sorry" would become "worry".
    """
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        probabilities = json.load(handle)
    return frozenset(
        word
        for word, log_p in probabilities.items()
        if log_p > COMMON_WORD_LOG_PROBABILITY and word.isalpha() and word.islower()
    )


@Language.factory(
    "twitch_normalizer",
    default_config={"vocabulary": [], "red_flag_words": []},
    assigns=["token.norm"],
)
def make_normalizer(nlp: Language, name: str, vocabulary: List[str], red_flag_words: List[str]) -> "Normalizer":
    return Normalizer(vocabulary, red_flag_words)


class Normalizer:
    """A word that is neither everyday English nor in the lexicon is replaced by the closest
    lexicon word, if one is close enough ("twiching" -> "twitching"). Red-flag words get a
    looser match, and a misspelling of one is corrected even when it happens to be a rare
    English word ("chesst", "brethe")."""

    def __init__(self, vocabulary: Iterable[str], red_flag_words: Iterable[str] = ()):
        self.vocabulary = sorted(set(vocabulary))
        self.known = set(self.vocabulary)
        self.red_flag_words = sorted(set(red_flag_words))
        self._corrections: Dict[str, str] = {}

    @cached_property
    def lemmas(self):
        """spacy-lookups-data's English lemma table. Read here, not from the lemmatizer,
        whose tables arrive only after a saved pipeline loads."""
        return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    @cached_property
    def english(self) -> frozenset:
        return common_english_words() | {lemma for lemma in self.lemmas.values() if isinstance(lemma, str)}

    def correct(self, word: str) -> str:
        if len(word) < 4 or word in self.known or not word.isalpha():
            return word
        if word not in self._corrections:
            self._corrections[word] = self._closest(word)
        return self._corrections[word]

    def _closest(self, word: str) -> str:
        collapsed = _collapse_repeats(word)
        if collapsed in self.known:
            return collapsed  # "passsed", "chesst"
        if word in self.english or self.lemmas.get(word) is not None:
            return word  # a real word, inflected or not ("drooped" is not "dropped")
        close = difflib.get_close_matches(word, self.red_flag_words, n=1, cutoff=RED_FLAG_CUTOFF)
        if not close:
            close = difflib.get_close_matches(word, self.vocabulary, n=1, cutoff=CUTOFF)
        return close[0] if close else word

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            word = self.correct(token.lower_.replace("’", "'"))
            token.norm_ = self.lemmas.get(word, word)
        return doc

    def lemma_of(self, word: str) -> str:
        return self.lemmas.get(word, word)


def _collapse_repeats(word: str) -> str:
    """Letters typed three times, or doubled where the word has one ("chesst" -> "chest"
    is tried by the caller against the vocabulary)."""
    out: List[str] = []
    for ch in word:
        if len(out) >= 1 and out[-1] == ch and (len(out) >= 2 and out[-2] == ch):
            continue
        out.append(ch)
    collapsed = "".join(out)
    if collapsed != word:
        return collapsed
    for i in range(1, len(word)):
        if word[i] == word[i - 1]:
            candidate = word[:i] + word[i + 1 :]
            return candidate
    return word
