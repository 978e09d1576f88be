"""Parsing model replies: tags, fences, repairs, and what is ignored."""

from __future__ import annotations

import pytest

from codeact_tui.core.actions import action_complete, parse_reply, reply_prose, summarize_code


def test_execute_block_is_an_action() -> None:
    parsed = parse_reply("Let me look.\n<execute>\nprint(1)\n</execute>")
    assert parsed.kind == "action"
    assert parsed.code == "print(1)"
    assert not parsed.repaired and not parsed.fenced
    assert parsed.text.endswith("</execute>")


def test_closing_tag_lost_to_stop_sequence_is_restored() -> None:
    parsed = parse_reply("<execute>\nx = 2\nprint(x)\n")
    assert parsed.kind == "action"
    assert parsed.code == "x = 2\nprint(x)"
    assert parsed.repaired
    assert parsed.text == "<execute>\nx = 2\nprint(x)\n</execute>"


@pytest.mark.parametrize("partial", ["<", "</", "</exe", "</execute"])
def test_partial_closing_tag_is_restored(partial: str) -> None:
    parsed = parse_reply(f"<execute>\nprint('hi')\n{partial}")
    assert parsed.code == "print('hi')"
    assert parsed.repaired


def test_only_first_action_counts_and_rest_is_reported() -> None:
    parsed = parse_reply("<execute>a = 1</execute>\nthen\n<execute>a = 2</execute>")
    assert parsed.code == "a = 1"
    assert "a = 2" in parsed.ignored
    assert "a = 2" not in parsed.text


def test_fence_inside_execute_is_removed() -> None:
    parsed = parse_reply("<execute>\n```python\nprint(3)\n```\n</execute>")
    assert parsed.code == "print(3)"


def test_fenced_python_block_is_the_action_without_tags() -> None:
    parsed = parse_reply("Here:\n```python\nimport os\nprint(os.getcwd())\n```\nDone soon.")
    assert parsed.kind == "action"
    assert parsed.fenced
    assert parsed.code == "import os\nprint(os.getcwd())"
    assert parsed.ignored == "Done soon."


def test_unclosed_fence_is_restored() -> None:
    parsed = parse_reply("```py\nprint(4)\n``")
    assert parsed.kind == "action" and parsed.repaired
    assert parsed.code == "print(4)"


def test_non_python_fence_is_not_an_action() -> None:
    parsed = parse_reply("Run this in your shell:\n```sh\nls -la\n```")
    assert parsed.kind == "reply"


def test_solution() -> None:
    parsed = parse_reply("All good.\n<solution>The answer is 42.</solution>")
    assert parsed.kind == "solution"
    assert parsed.answer == "The answer is 42."


def test_unclosed_solution_is_repaired() -> None:
    parsed = parse_reply("<solution>42")
    assert parsed.kind == "solution" and parsed.answer == "42" and parsed.repaired


def test_solution_before_execute_wins() -> None:
    parsed = parse_reply("<solution>done</solution> <execute>print(1)</execute>")
    assert parsed.kind == "solution"


def test_execute_before_solution_runs_first() -> None:
    parsed = parse_reply("<execute>print(1)</execute><solution>guess</solution>")
    assert parsed.kind == "action"
    assert "guess" in parsed.ignored


def test_plain_reply() -> None:
    parsed = parse_reply("  The file has 3 functions.  ")
    assert parsed.kind == "reply" and parsed.answer == "The file has 3 functions."


def test_action_complete_finds_end_of_first_action() -> None:
    text = "a<execute>x</execute>tail"
    assert text[: action_complete(text)] == "a<execute>x</execute>"
    assert action_complete("<execute>x") == -1
    assert action_complete("<solution>s</solution><execute>x</execute>") == -1


def test_summarize_code_prefers_comment() -> None:
    assert summarize_code("import os\n# count the files\nprint(1)") == "count the files"
    assert summarize_code("\n\nprint('x')") == "print('x')"
    assert summarize_code("") == "(empty action)"
    assert len(summarize_code("x = '" + "a" * 200 + "'")) == 72


def test_fence_before_a_mentioned_tag_wins() -> None:
    reply = "```python\nprint(1)\n```\nThe `<execute>` block is the same as before. <execute>print(2)</execute>"
    parsed = parse_reply(reply)
    assert parsed.kind == "action" and parsed.fenced and parsed.code == "print(1)"
    assert action_complete(reply) == reply.index("```\nThe") + 3  # the fence ends the action


def test_tag_in_inline_code_is_a_mention() -> None:
    parsed = parse_reply("Wrap code in `<execute>` tags, like this: <execute>print(5)</execute>")
    assert parsed.code == "print(5)"
    assert parse_reply("I will answer with `<solution>` next.").kind == "reply"


def test_execute_wrapping_a_fence_is_one_action() -> None:
    parsed = parse_reply("<execute>\n```python\nprint(7)\n```\n</execute>")
    assert parsed.code == "print(7)" and not parsed.fenced


def test_a_fence_wrapping_an_execute_tag_runs_the_code_without_the_tags() -> None:
    """Seen with Qwen2.5-Coder-1.5B: "```python\n<execute>\n…\n```", the `<execute>` line ran as
    Python (a SyntaxError, three times in a row); with its `</execute>` too, or cut at it."""
    unclosed = "```python\n<execute>\nprint(replace_in_file('a.py', 'x', 'y'))\nprint(run_tests())\n```"
    closed = "```python\n<execute>\nprint(7)\n</execute>\n```"
    cut_at_stop = "```python\n  <execute>\nprint(8)\n"
    assert parse_reply(unclosed).code == "print(replace_in_file('a.py', 'x', 'y'))\nprint(run_tests())"
    assert parse_reply(closed).code == "print(7)" and parse_reply(cut_at_stop).code == "print(8)"
    assert parse_reply("```python\nprint('<execute>')\n```").code == "print('<execute>')"  # a mention stays


def test_reasoning_is_dropped_and_never_runs() -> None:
    reply = "<think>Maybe <execute>rm()</execute>? No.</think>\nReady.\n<execute>print('real')</execute>"
    parsed = parse_reply(reply)
    assert parsed.code == "print('real')" and "<think>" not in parsed.text
    assert reply[: action_complete(reply)].endswith("print('real')</execute>")


def test_open_reasoning_is_not_an_action() -> None:
    reply = "<think>I could <execute>print(1)</execute>"
    assert action_complete(reply) == -1
    assert parse_reply(reply).kind == "reply" and parse_reply(reply).text == ""


# --- the prose a front-end shows while a reply streams ----------------------------------------

PROSE_CASES = [
    ("Look at **this** < that.\n<execute>\nprint(1)\n</execute>", "Look at **this** < that.\n"),
    ("Fenced, as small models do:\n```python\nprint(1)\n```\n", "Fenced, as small models do:\n"),
    ("All done.\n<solution>42</solution>", "All done.\n"),
    ("The tag `<execute>` is a mention.\n<execute>\nx = 1\n</execute>", "The tag `<execute>` is a mention.\n"),
    ("<think>maybe <execute>no</execute></think>Plan: read it.\n<execute>\nx\n</execute>", "Plan: read it.\n"),
    ("A shell line:\n```bash\nls\n```\nthen nothing else.", "A shell line:\n```bash\nls\n```\nthen nothing else."),
]


@pytest.mark.parametrize(("reply", "prose"), PROSE_CASES)
@pytest.mark.parametrize("cut", [1, 2, 3, 5, 7, 1000])
def test_streamed_prose_is_what_precedes_the_action_whatever_the_chunking(reply: str, prose: str, cut: int) -> None:
    shown = ""
    for end in range(cut, len(reply) + cut, cut):
        now = reply_prose(reply[:end])
        assert now.startswith(shown), "prose shown while streaming is never taken back"
        assert prose.startswith(now), "nothing past the prose (no tag, fence or code) is ever shown"
        shown = now
    assert reply_prose(reply, final=True) == prose


def test_streamed_prose_holds_back_what_may_become_a_tag_or_fence() -> None:
    assert reply_prose("a <sol") == "a "
    assert reply_prose("a <sol", final=True) == "a <sol"
    assert reply_prose("text\n``") == "text\n"
    assert reply_prose("<think>still thinking") == ""


def test_streamed_prose_agrees_with_the_parser_on_fenced_actions() -> None:
    reply = "Let me look.\n```python\nprint(open('a').read())\n```"
    parsed = parse_reply(reply)
    assert parsed.fenced and parsed.code == "print(open('a').read())"
    assert parsed.code not in reply_prose(reply, final=True)  # the code shows once: in its card


def test_a_solution_wrapped_in_a_python_fence_is_an_answer() -> None:
    """Qwen2.5-Coder-1.5B, told to write fenced actions, sometimes fences its answer too; running
    `<solution>` as Python only fails, again and again."""
    parsed = parse_reply("```python\n<solution>\nThe function is in accumulate.py.</solution>\n```")
    assert (parsed.kind, parsed.answer) == ("solution", "The function is in accumulate.py.")
    code = parse_reply("```python\nprint('<solution>')\n```")
    assert (code.kind, code.code) == ("action", "print('<solution>')")
