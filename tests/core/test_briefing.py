"""The briefing ahead of a user request: composed, taken apart again, and the repo map's changes."""

from __future__ import annotations

from codeact_tui.core.briefing import compose_user_message, map_update, quote, user_request


def test_a_briefed_message_gives_back_the_request_alone() -> None:
    message = compose_user_message("[What changed:\n- x]", "fix it\n\nplease")
    assert message.startswith("[What changed") and message.endswith("fix it\n\nplease")
    assert user_request(message) == "fix it\n\nplease"
    assert compose_user_message("", "plain") == "plain" and user_request("plain") == "plain"


def test_map_update_sends_changed_lines_or_the_whole_map() -> None:
    old = "\n".join(f"file{i}.py" for i in range(20))
    assert map_update(old, old) is None
    one_more = old + "\nnew.py"
    assert map_update(old, one_more) == "The repo map changed (+ new, - gone):\n+ new.py"
    rewritten = "\n".join(f"other{i}.py" for i in range(20))
    assert map_update(old, rewritten) == "The repo map now:\n" + rewritten


def test_quote_keeps_the_head_and_counts_the_rest() -> None:
    text = "\n".join(str(n) for n in range(20))
    quoted = quote(text, max_lines=3)
    assert quoted.splitlines() == ["    0", "    1", "    2", "    … (17 more lines)"]
