"""When the action server cannot be reached, the person still gets an answer (Rasa 3.6).

Red flags are read and the assessment is made in the action server. If it is down, Rasa
logs a traceback, drops the action's events and says nothing: not even to "I have chest
pain". Here a custom action that fails that way sends `utter_action_server_unavailable`
instead: try again in a minute, and the static list of when to call for help now. The
open question stays open, so resending the answer continues the assessment.
Imported by policies/red_flag_policy.py, so it is in force wherever our model is loaded.
"""

import logging
from typing import Any, List

from rasa.core.actions.action import Action, create_bot_utterance
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_action_server_unavailable"
# How Rasa's RemoteAction words a failure to reach the action server.
UNREACHABLE = "Couldn't connect to the server"


class _AnswerEvenIfUnreachable:
    """Runs an action as usual; if the action server cannot be reached, says so instead."""

    def __init__(self, action: Action) -> None:
        self._action = action

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await self._action.run(output_channel, nlg, tracker, domain)
        except RasaException as error:
            if UNREACHABLE not in str(error):
                raise
            logger.error("The action server is unreachable; '%s' answered that it is.", self._action.name())
            message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
            # Then wait for the person: predicting on would only reach the same dead server.
            return [create_bot_utterance(message), FollowupAction(ACTION_LISTEN_NAME)]


_run_action = MessageProcessor._run_action


async def _run_action_answering_outages(self, action, tracker, output_channel, nlg, prediction):
    return await _run_action(self, _AnswerEvenIfUnreachable(action), tracker, output_channel, nlg, prediction)


MessageProcessor._run_action = _run_action_answering_outages
