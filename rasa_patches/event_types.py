"""Event classes looked up by name in a table instead of a walk of every class (Rasa 3.6).

Rasa finds the class of each stored or received event by listing all subclasses of Event
and checking each one (`Event.resolve_by_type`): for every event of a conversation that is
loaded, and for every event an action returns. The table is built on first use with the
same first-found-wins order; a name it lacks (a class imported later) is looked up the
original way and the table rebuilt. Installed by rasa_patches.apply().
"""

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_by_name: Dict[Text, Type[Event]] = {}


def _rebuild() -> None:
    _by_name.clear()
    for cls in all_subclasses(Event):
        _by_name.setdefault(cls.type_name, cls)


def install() -> None:
    original = Event.resolve_by_type

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = _by_name.get(type_name)
        if found is not None:
            return found
        _rebuild()
        found = _by_name.get(type_name)
        return found if found is not None else original(type_name, default)

    setattr(resolve_by_type, "__wrapped_original__", original)
    Event.resolve_by_type = staticmethod(resolve_by_type)
