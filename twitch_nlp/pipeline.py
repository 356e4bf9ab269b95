"""The project's own spaCy pipeline, assembled from twitch_nlp/lexicon.yml.

blank English -> sentencizer -> lookup lemmatizer -> typo-tolerant normaliser
-> finding matcher -> duration -> reply opening -> medspaCy ConText (negation,
uncertainty, hypotheticals, long ago) -> questions -> whose symptoms.

Each component lives in its own module and takes its part of the lexicon as config, so
the saved pipeline (`python -m twitch_nlp.pipeline models/spacy_twitch`, run by `make
train`) carries all its data and Rasa's SpacyNLP loads it without the source tree's
lexicon. Importing this module registers every factory.

The last component leaves its results on the Doc; twitch_nlp.finding_extractor (the Rasa
component after SpacyNLP) turns them into entities and then drops the Doc, so no spaCy
component can be configured after it in config.yml.
"""

import sys
from pathlib import Path
from typing import List, Optional

import spacy
from spacy.language import Language

from twitch_nlp import answer_opening, context, duration, experiencer, finding_matcher, normalizer, question_marker  # noqa: F401
from triage.engine import load_knowledge
from twitch_nlp.lexicon import load_lexicon, matcher_data, phrase_words

# Findings whose answer alone calls for same-day help or more, from triage/knowledge.yml.
RED_FLAG_FINDINGS = tuple(load_knowledge().red_flags())
SENTENCE_ENDS = [".", "!", "?", ":", ";", "\n"]
RED_FLAG_WORD_MIN = 5  # shorter words ("slow") would pull typos of longer ones ("swolow")


def red_flag_words(lexicon: dict) -> List[str]:
    """The words of red-flag phrases, for a looser typo match."""
    words = set()
    for finding in RED_FLAG_FINDINGS:
        for phrase in lexicon["findings"].get(finding) or []:
            words |= {w.lstrip("=").lower() for w in phrase.split() if w.isalpha() and len(w) >= RED_FLAG_WORD_MIN}
    for spec in lexicon["details"].values():
        if spec["finding"] in RED_FLAG_FINDINGS:
            for phrase in spec["phrases"]:
                words |= {w.lower() for w in phrase.split() if w.isalpha() and len(w) >= RED_FLAG_WORD_MIN}
    return sorted(words - set(lexicon.get("not_red_flag_words") or []))


def build_pipeline(lexicon: Optional[dict] = None) -> Language:
    lexicon = lexicon or load_lexicon()
    nlp = spacy.blank("en")
    # A colon or semicolon ends a sentence too: "nothing else: no weakness, no ..." is a
    # list of denials that ConText must read on its own.
    nlp.add_pipe("sentencizer", config={"punct_chars": SENTENCE_ENDS})
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data
    vocabulary = {word.lower() for word in phrase_words(lexicon)} | set(lexicon["extra_vocabulary"])
    nlp.add_pipe(
        "twitch_normalizer", config={"vocabulary": sorted(vocabulary), "red_flag_words": red_flag_words(lexicon)}
    )
    nlp.add_pipe("twitch_findings", config={"lexicon": matcher_data(lexicon)})
    nlp.add_pipe("twitch_duration", config={"twitch_words": lexicon["people"]["twitch_prefixes"]})
    nlp.add_pipe("twitch_answer", config={"openers": lexicon["answer_openers"], "ask_back": lexicon["ask_back"]})
    nlp.add_pipe("twitch_context", config={"cues": lexicon["context_cues"]})
    nlp.add_pipe("twitch_context_extra")
    nlp.add_pipe("twitch_questions", config={"cues": lexicon["questions"]})
    nlp.add_pipe("twitch_experiencer", config={"people": lexicon["people"]})
    return nlp


def main(argv: List[str]) -> None:
    target = Path(argv[1] if len(argv) > 1 else "models/spacy_twitch")
    target.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(target)
    print(f"spaCy pipeline saved to {target}")


if __name__ == "__main__":
    main(sys.argv)
