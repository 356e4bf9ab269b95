"""How the bot names the person an assessment is about, when it is not the person chatting."""

from typing import Optional, Text

SOMEONE_ELSE = "the person you're asking about"
# Relations whose plain name reads well after "your" ("your dad", "your partner").
NAMED = {
    "dad",
    "mum",
    "husband",
    "wife",
    "partner",
    "son",
    "daughter",
    "child",
    "brother",
    "sister",
    "grandmother",
    "grandfather",
    "uncle",
    "aunt",
    "cousin",
    "friend",
    "colleague",
    "neighbour",
    "relative",
    "patient",
}


def person_phrase(about: Optional[Text]) -> Optional[Text]:
    """ "other:dad" -> "your dad"; a pronoun or someone unnamed -> a neutral phrase."""
    if not about or not about.startswith("other:"):
        return None
    relation = about.split(":", 1)[1]
    return f"your {relation}" if relation in NAMED else SOMEONE_ELSE
