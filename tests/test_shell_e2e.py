"""`make chat`, driven through a pseudo-terminal as a person would use it: typed answers and
the numbers of suggested ones, nothing chosen for them."""

import os
import re

import pexpect
import pytest

from tools.servers import ROOT, free_port

PROMPT = "you>"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def screen(child) -> str:
    return ANSI.sub("", child.before or "")


@pytest.fixture
def chat(tmp_path):
    env = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "TRACKER_DB": str(tmp_path / "shell.db"),
        "TERM": "xterm",
    }
    child = pexpect.spawn(
        "make",
        ["--no-print-directory", "chat"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=300,
        dimensions=(50, 200),
    )
    child.logfile_read = open(tmp_path / "shell.log", "w")
    child.expect(PROMPT)
    yield child
    child.close(force=True)
    child.logfile_read.close()


def say(child, text: str) -> str:
    """Types a line; returns what the bot printed before the next prompt."""
    child.sendline(text)
    seen = ""
    for _ in range(10):  # the prompt is redrawn as the line is accepted, then after the reply
        child.expect(PROMPT, timeout=120)
        seen += screen(child)
        if seen.replace(text, "").strip():
            return seen
    return seen


@pytest.mark.e2e
def test_typing_no_to_the_safety_check_asks_the_next_question_instead_of_choosing_yes(chat):
    first = say(chat, "my calves keep twitching since 3 days, way too much coffee")
    assert "safety check" in first and "1 Yes  2 No  3 Not sure" in first
    assert "(/affirm)" not in first and "INFO" not in first and "Warning" not in first
    after_no = say(chat, "no")
    assert "emergency number now" not in after_no.lower()
    assert "any of these" in after_no  # the nerve-signs question, grouped


@pytest.mark.e2e
def test_numbers_and_words_lead_to_advice_and_start_over_clears_it(chat):
    say(chat, "my calves keep twitching since 3 days, way too much coffee")
    seen = say(chat, "2")  # "No" to the safety check, by its number
    for _ in range(8):
        if "not a diagnosis" in seen:
            break
        seen = say(chat, "none of these")
    else:
        pytest.fail("no conclusion after 8 answers:\n" + seen[-3000:])
    assert "Self-care first" in seen
    assert "start again" in say(chat, "start over")
    chat.sendline("/stop")
    chat.expect(pexpect.EOF, timeout=60)
