"""Read a mini-swe-agent trajectory (``*.traj.json``) into the ordered list of shell actions it ran.

Shapes understood (each seen in public ProgramBench submissions):

* OpenAI Responses: an assistant turn is a response object whose ``output[]`` holds
  ``{type: function_call, call_id, arguments: '{"command": ...}'}``; the results are separate
  ``{type: function_call_output, call_id, output}`` items.
* OpenAI chat completions: ``{role: assistant, tool_calls: [{id, function: {arguments}}]}`` and
  ``{role: tool, tool_call_id, content}``.
* Anthropic messages: ``{role: assistant, content: [{type: tool_use, id, input: {command}}]}`` and
  results as ``{role: user, content: [{type: tool_result, tool_use_id, content}]}``.
* mini-swe-agent text mode: one fenced ```` ```bash ```` block in the assistant's text; the next user
  message is its observation.

Every shape may also carry ``extra.actions[] = {command, tool_call_id}`` on the assistant turn; when
present it is the record of what was executed and is used first (the same command also appears in
``content``/``output`` and, for Anthropic runs, again in ``extra.response``; it is taken once).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

RC_RE = re.compile(r"<returncode>(-?\d+)</returncode>")
FENCE_RE = re.compile(r"```(?:bash|sh|shell)?[ \t]*\n(.*?)\n```", re.S)


@dataclass
class Action:
    index: int
    command: str
    output: str | None = None         # the observation text as the agent saw it
    returncode: int | None = None
    call_id: str | None = None

    @property
    def truncated(self) -> bool:
        return self.output is not None and ("<elided_chars>" in self.output or "<output_head>" in self.output)

    @property
    def text(self) -> str:
        """The command's output without the observation wrapper (``<returncode>``, ``<output>``)."""
        out = self.output or ""
        m = re.search(r"<output>\n?(.*?)</output>", out, re.S)
        return m.group(1) if m else RC_RE.sub("", out).strip("\n") + ("\n" if out else "")


def load(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _content_text(content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_content_text(c.get("text", c.get("content")) if isinstance(c, dict) else c)
                       for c in content)
    if isinstance(content, dict):
        return _content_text(content.get("text", content.get("content")))
    return str(content)


def _args_command(arguments) -> str | None:
    if isinstance(arguments, dict):
        return arguments.get("command")
    if isinstance(arguments, str):
        try:
            data = json.loads(arguments)
        except json.JSONDecodeError:
            return None
        return data.get("command") if isinstance(data, dict) else None
    return None


def messages_of(traj) -> list[dict]:
    if isinstance(traj, list):
        return traj
    for key in ("messages", "trajectory", "history"):
        if isinstance(traj.get(key), list):
            return traj[key]
    raise ValueError("no messages[] in this trajectory")


def _calls(msg: dict) -> list[tuple[str, str | None]]:
    """(command, call id) of every tool call in one assistant turn, in order, each once."""
    extra = msg.get("extra") or {}
    actions = extra.get("actions")
    if isinstance(actions, list) and actions:
        return [(a["command"], a.get("tool_call_id")) for a in actions if isinstance(a, dict) and "command" in a]
    calls: list[tuple[str, str | None]] = []
    for item in msg.get("output") or []:            # OpenAI Responses
        if isinstance(item, dict) and item.get("type") == "function_call":
            cmd = _args_command(item.get("arguments"))
            if cmd is not None:
                calls.append((cmd, item.get("call_id")))
    for tc in msg.get("tool_calls") or []:          # OpenAI chat completions
        fn = tc.get("function") or {}
        cmd = _args_command(fn.get("arguments"))
        if cmd is not None:
            calls.append((cmd, tc.get("id")))
    content = msg.get("content")
    if isinstance(content, list):                   # Anthropic
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                cmd = _args_command(block.get("input"))
                if cmd is not None:
                    calls.append((cmd, block.get("id")))
    if not calls and isinstance(content, str):      # text mode
        m = FENCE_RE.search(content)
        if m:
            calls.append((m.group(1), None))
    return calls


def _is_assistant(msg: dict) -> bool:
    return msg.get("role") == "assistant" or msg.get("object") == "response"


def extract_actions(traj) -> list[Action]:
    """Every command the agent ran, in order, with the observation it got back."""
    msgs = messages_of(traj)
    outputs: dict[str, tuple[str, int | None]] = {}
    for msg in msgs:
        if msg.get("type") == "function_call_output":
            rc = (msg.get("extra") or {}).get("returncode")
            outputs[msg.get("call_id", "")] = (_content_text(msg.get("output")), rc)
        elif msg.get("role") == "tool" and msg.get("tool_call_id"):
            outputs[msg["tool_call_id"]] = (_content_text(msg.get("content")), None)
        elif msg.get("role") == "user" and isinstance(msg.get("content"), list):
            for block in msg["content"]:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    outputs[block.get("tool_use_id", "")] = (_content_text(block.get("content")), None)
    actions: list[Action] = []
    for k, msg in enumerate(msgs):
        if not _is_assistant(msg):
            continue
        for cmd, call_id in _calls(msg):
            out, rc = outputs.get(call_id or "", (None, None))
            if out is None and call_id is None:
                # text mode: the observation is the next user message
                nxt = next((m for m in msgs[k + 1:] if m.get("role") in ("user", "tool")), None)
                out = _content_text(nxt.get("content")) if nxt else None
            if rc is None and out is not None:
                m = RC_RE.search(out)
                rc = int(m.group(1)) if m else None
            actions.append(Action(index=len(actions), command=cmd, output=out, returncode=rc, call_id=call_id))
    return actions


def shape_of(traj) -> str:
    """A name for the message shape (for reports)."""
    for msg in messages_of(traj):
        if msg.get("object") == "response" or msg.get("type") == "function_call_output":
            return "openai-responses"
        if msg.get("role") == "tool":
            return "openai-chat"
        if isinstance(msg.get("content"), list) and any(
                isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result") for b in msg["content"]):
            return "anthropic"
    return "text"
