"""Whose findings count for an assessment: plain Python, shared by the spaCy component that
reads people (twitch_nlp/experiencer.py) and the action that fills the slots, which should
not have to import spaCy for it."""

from typing import Optional

SELF = "self"
PRONOUN = "pronoun"
SOMEONE = "other:someone"
CHILD_AGE = 16


def unnamed(subject: Optional[str]) -> bool:
    """ "asking for someone", "she ...": someone else, not yet named."""
    return subject in (PRONOUN, SOMEONE)


def counts_for(experiencer: Optional[str], subject: Optional[str]) -> bool:
    """Whether a finding said of `experiencer` belongs to an assessment about `subject`.

    About the writer: their own findings and those whose owner is not said. About someone
    else: that person's findings (by name or pronoun) and those whose owner is not said,
    never the writer's own nor a third person's.
    """
    if experiencer is None:
        return True
    if subject in (None, SELF):
        return experiencer == SELF
    if unnamed(subject):
        return experiencer != SELF
    return experiencer in (subject, PRONOUN)


def is_child(subject: Optional[str], age: Optional[int]) -> bool:
    """The assessment is about a child: a stated age under 16, or a word for a child."""
    return (age is not None and age < CHILD_AGE) or subject == "other:child"
