"""The command-line chat behind `make chat`: a line editor on top of the REST channel.

Type any answer, or the number of a suggested one ("1 Yes  2 No  3 Not sure"); nothing is
ever chosen for you, Enter on an empty line sends nothing. Up-arrow recalls what you
typed. The bot's replies are printed as they come, in colour on a terminal and as plain
text when piped. It talks to a running `rasa run` over the REST channel, exactly like the
widget does, so it is the same bot and the same contract.

    python -m channels.terminal --url http://127.0.0.1:5005 [--sender ID]
"""

import argparse
import os
import sys
import time
import uuid
from typing import List, Optional, Sequence, Tuple

import requests

GOODBYE_WORDS = {"/stop", "/quit", "quit", "exit"}
TIMEOUT = 60
PROMPT = "you> "


def numbered(buttons: Sequence[dict]) -> str:
    """ "1 Yes  2 No  3 Not sure" """
    return "  ".join(f"{i} {b.get('title', '')}" for i, b in enumerate(buttons, start=1))


def resolve(text: str, buttons: Sequence[dict]) -> str:
    """A typed number picks that suggestion; anything else is sent as typed."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return str(buttons[int(stripped) - 1].get("payload") or buttons[int(stripped) - 1].get("title"))
    return text


class Terminal:
    def __init__(self, url: str, sender: str, colour: bool):
        self.url = url.rstrip("/")
        self.sender = sender
        self.colour = colour
        self.buttons: List[dict] = []

    def send(self, text: str) -> List[dict]:
        # Sent again once, with the same id, if the first try is cut off: stored once.
        body = {"sender": self.sender, "message": text, "message_id": uuid.uuid4().hex}
        for retry in (False, True):
            try:
                response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=TIMEOUT)
                if response.status_code < 500 or retry:
                    break
            except requests.ConnectionError:
                if retry:
                    raise
            time.sleep(1)
        response.raise_for_status()
        return response.json() or []

    def show(self, messages: List[dict]) -> None:
        self.buttons = []
        for message in messages:
            if message.get("text"):
                self._print(message["text"], "bot")
            if message.get("buttons"):
                self.buttons = list(message["buttons"])
                self._print(numbered(self.buttons), "choices")
        # custom payloads (the widget's card) repeat the text above: nothing to print

    def _print(self, text: str, style: str) -> None:
        if not self.colour:
            print(text, flush=True)
            return
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        colours = {"bot": "ansicyan", "choices": "ansiyellow", "note": "ansibrightblack"}
        print_formatted_text(FormattedText([(colours[style], text)]))

    def turn(self, typed: str) -> bool:
        """Sends one line; False when the person wants to leave."""
        if typed.strip().lower() in GOODBYE_WORDS:
            return False
        if not typed.strip():
            return True
        try:
            self.show(self.send(resolve(typed, self.buttons)))
        except requests.RequestException:
            self._print(
                "Sorry, I can't reach the assistant right now. Please try again in a moment. "
                "If you have chest pain, have fainted or are badly short of breath, call "
                "your local emergency number now.",
                "note",
            )
        return True


def lines(interactive: bool):
    """What the person types: a line editor with history on a terminal, stdin otherwise."""
    if interactive:
        # Terminals that never answer a cursor-position request would get a warning line.
        os.environ.setdefault("PROMPT_TOOLKIT_NO_CPR", "1")
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        while True:
            try:
                yield session.prompt(PROMPT)
            except (EOFError, KeyboardInterrupt):
                return
    else:
        for line in sys.stdin:
            yield line.rstrip("\n")


def parse(argv: Optional[List[str]]) -> Tuple[str, str]:
    parser = argparse.ArgumentParser(description="Chat with the twitch-triage assistant in this terminal.")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:12]}")
    args = parser.parse_args(argv)
    return args.url, args.sender


def main(argv: Optional[List[str]] = None) -> int:
    url, sender = parse(argv)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    terminal = Terminal(url, sender, colour=interactive)
    terminal._print("Type what your muscles are doing, in your own words. Type /stop to leave.", "note")
    for typed in lines(interactive):
        if not terminal.turn(typed):
            break
    terminal._print("Take care.", "note")
    return 0


if __name__ == "__main__":
    sys.exit(main())
