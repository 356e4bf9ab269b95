"""`make chat`, driven through a pseudo-terminal as a person would use it."""

import os
import re
import socket
import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUESTION = r"\(Use arrow keys\)"
DOWN, ENTER = "\x1b[B", "\r"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def screen(child) -> str:
    return ANSI.sub("", child.before or "")


@pytest.mark.e2e
def test_make_chat_leads_a_conversation_to_advice_and_restarts(tmp_path):
    env = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "TRACKER_DB": str(tmp_path / "shell.db"),
        "TERM": "xterm",
    }
    child = pexpect.spawn("make", ["--no-print-directory", "chat"], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=300, dimensions=(50, 200))
    child.logfile_read = open(tmp_path / "shell.log", "w")
    try:
        child.expect("Your input ->")
        child.sendline("my calves keep twitching since 3 days, way too much coffee")

        # the first question answered by typing instead of a button
        child.expect(QUESTION)
        seen = screen(child)
        child.send(DOWN * 3 + ENTER)  # "Type out your own message..."
        child.expect("Your input ->")
        child.sendline("nope, none of those")

        for _ in range(20):
            index = child.expect([QUESTION, "not a diagnosis"])
            seen += screen(child)
            if index == 1:
                break
            # pick "No" (second choice); for "how long" pick "A few days" (first)
            child.send(ENTER if "How long" in screen(child) else DOWN + ENTER)
        else:
            pytest.fail("no conclusion after 20 questions:\n" + seen[-3000:])

        assert "safety check" in seen
        assert "Self-care first" in seen
        child.expect("Your input ->")
        child.sendline("start over")
        child.expect("start again")
        child.expect("Your input ->")
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
        child.logfile_read.close()
