"""Replay of agent trajectories (bench/realmodel): small trajectories written here, in the real shapes."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from bench.realmodel import build, confine
from bench.realmodel.replay import git_line_count, replay_trajectory
from bench.realmodel.shell import parse
from bench.realmodel.trajectory import extract_actions, shape_of
from bench.realmodel.verify import Verifier, blob_id

HELLO_PY = 'import sys\n\n\ndef greet(name):\n    return "hello " + name\n\n\nprint(greet(sys.argv[1]))\n'
PATCH = ("python3 - <<'PY'\nfrom pathlib import Path\np = Path('src/hello.py')\ns = p.read_text()\n"
         "s = s.replace('hello ', 'hi ')\np.write_text(s)\nPY")
# after the patch and `sed -i 's/greet/salute/g'`:
FINAL_PY = HELLO_PY.replace("hello ", "hi ").replace("greet", "salute")
COMPILE = "#!/bin/sh\ncp src/hello.py executable\nchmod +x executable\n"

COMMANDS = [
    "ls -la && ./executable --help",                                            # skipped: not a file edit
    "mkdir -p src && cat > src/hello.py <<'EOF'\n" + HELLO_PY + "EOF",          # heredoc
    PATCH,                                                                       # python patch
    "sed -i 's/greet/salute/g' src/hello.py && python3 src/hello.py x",          # sed -i, then a run (skipped)
    "cat > /tmp/notes.txt <<'EOF'\nscratch\nEOF",                                # outside /workspace: refused
    "cat <<EOF > compile.sh\n#!/bin/sh\ncp src/hello.py executable\nchmod +x executable\nEOF\nchmod +x compile.sh",
    "./compile.sh && ./executable bob > out.txt; rm -f out.txt",                 # program output: unreplayed
    "printf '%s\\n' executable > .gitignore && git add -A && git commit -m 'Reimplement hello'",
]


def commit_output(files: dict[str, str], exec_files: set[str]) -> str:
    ins = sum(git_line_count(t.encode()) for t in files.values())
    lines = ["[master 1a2b3c4] Reimplement hello", f" {len(files)} files changed, {ins} insertions(+)"]
    for p in sorted(files):
        lines.append(f" create mode {'100755' if p in exec_files else '100644'} {p}")
    return "\n".join(lines) + "\n"


FINAL = {"src/hello.py": FINAL_PY, "compile.sh": COMPILE, ".gitignore": "executable\n"}
OUTPUTS = ["total 8\n", "", "", "hi x\n", "", "", "", commit_output(FINAL, {"compile.sh"})]


def observation(rc: int, out: str) -> str:
    return f"<returncode>{rc}</returncode>\n<output>\n{out}</output>"


def openai_traj(commands=COMMANDS, outputs=OUTPUTS) -> dict:
    """OpenAI Responses shape: response objects with function_call items, then function_call_output."""
    msgs: list[dict] = [{"role": "system", "content": "rules"}, {"role": "user", "content": "task"}]
    for k, (cmd, out) in enumerate(zip(commands, outputs)):
        cid = f"call_{k}"
        msgs.append({"object": "response", "output": [
            {"type": "reasoning", "summary": []},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "next"}]},
            {"type": "function_call", "call_id": cid, "name": "bash", "arguments": json.dumps({"command": cmd})}],
            "extra": {"actions": [{"command": cmd, "tool_call_id": cid}]}})
        msgs.append({"type": "function_call_output", "call_id": cid, "output": observation(0, out),
                     "extra": {"returncode": 0}})
    msgs.append({"role": "exit", "content": "", "extra": {"exit_status": "Submitted"}})
    return {"info": {"instance_id": "demo__hello.0000000"}, "messages": msgs, "trajectory_format": "mini-swe-agent-1.1"}


def anthropic_traj(commands=COMMANDS, outputs=OUTPUTS) -> dict:
    """Anthropic shape: tool_use blocks, repeated in extra.response; results as user tool_result blocks."""
    msgs: list[dict] = [{"role": "system", "content": "rules"}, {"role": "user", "content": "task"}]
    for k, (cmd, out) in enumerate(zip(commands, outputs)):
        tid = f"toolu_{k}"
        block = {"type": "tool_use", "id": tid, "name": "bash", "input": {"command": cmd}}
        msgs.append({"role": "assistant",
                     "content": [{"type": "text", "text": "next"}, dict(block, text=f"```\n{cmd}\n```")],
                     "extra": {"actions": [{"command": cmd, "tool_call_id": tid}],
                               "response": {"content": [block], "role": "assistant"}}})
        obs = observation(0, out)
        msgs.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": obs,
                                                  "text": obs}],
                     "extra": {"observations": [{"returncode": 0}]}})
    return {"info": {"instance_id": "demo__hello.0000000"}, "messages": msgs}


@pytest.mark.parametrize("make, shape", [(openai_traj, "openai-responses"), (anthropic_traj, "anthropic")])
def test_extract_actions_in_order_once(make, shape):
    traj = make()
    assert shape_of(traj) == shape
    actions = extract_actions(traj)
    assert [a.command for a in actions] == COMMANDS          # each command once, although it repeats
    assert actions[3].text == "hi x\n" and actions[3].returncode == 0


def test_extract_actions_without_extra_and_chat_shape():
    traj = openai_traj()
    for m in traj["messages"]:
        m.pop("extra", None)
    assert [a.command for a in extract_actions(traj)] == COMMANDS
    chat = {"messages": [{"role": "assistant", "content": "x", "tool_calls": [
        {"id": "c1", "function": {"name": "bash", "arguments": json.dumps({"command": "echo hi > a"})}}]},
        {"role": "tool", "tool_call_id": "c1", "content": observation(0, "")}]}
    assert shape_of(chat) == "openai-chat"
    assert [a.command for a in extract_actions(chat)] == ["echo hi > a"]
    text = {"messages": [{"role": "assistant", "content": "I will write.\n\n```bash\necho hi > a\n```"},
                         {"role": "user", "content": observation(0, "")}]}
    assert [a.command for a in extract_actions(text)] == ["echo hi > a"]


@pytest.mark.parametrize("make", [openai_traj, anthropic_traj])
def test_replay_rebuilds_the_workspace(make, tmp_path):
    verifier = Verifier()
    report, _ = replay_trajectory(make(), tmp_path / "ws", checkpoints=verifier.check)
    ws = tmp_path / "ws"
    files = {p.relative_to(ws).as_posix(): p.read_text() for p in ws.rglob("*") if p.is_file()}
    assert files == FINAL                                     # heredoc + python patch + sed -i + printf
    assert os.stat(ws / "compile.sh").st_mode & stat.S_IXUSR
    s = report.summary()
    assert s["replayed"] == {"heredoc": 2, "chmod": 1, "mkdir": 1, "python": 1, "sed -i": 1, "printf": 1, "rm": 1}
    assert s["refused"] == {"cat": 1}                         # /tmp/notes.txt
    assert not (tmp_path / "notes.txt").exists()
    assert s["unreplayed"] == {"executable": 1}               # ./executable bob > out.txt
    assert s["skipped"]["executable"] == 1 and s["skipped"]["python"] == 1 and s["skipped"]["git"] == 2
    assert s["failed"] == {}
    result = verifier.result(ws)
    assert result["verdict"] == "exact"
    assert set(result["committed_files"]) == set(FINAL)
    assert result["committed_files"]["src/hello.py"]["blob"] == blob_id(FINAL_PY.encode())


def test_verification_reports_a_mismatch(tmp_path):
    outputs = list(OUTPUTS)
    wrong = dict(FINAL, **{"src/hello.py": FINAL_PY + "extra\n"})
    outputs[-1] = commit_output(wrong, {"compile.sh"})
    verifier = Verifier()
    replay_trajectory(openai_traj(outputs=outputs), tmp_path / "ws", checkpoints=verifier.check)
    result = verifier.result(tmp_path / "ws")
    assert result["verdict"] == "mismatch"
    assert [m["kind"] for m in result["mismatches"]] == ["commit"]


def test_blob_wc_and_view_records_are_checked(tmp_path):
    body = "a\nb\nc\n"
    blob = blob_id(body.encode())
    commands = ["cat > f.txt <<'EOF'\n" + body + "EOF", "git diff --cached f.txt", "wc -l f.txt",
                "nl -ba f.txt | sed -n '2,3p'", "sed -n '1,2p' f.txt"]
    outputs = ["", f"diff --git a/f.txt b/f.txt\nnew file mode 100644\nindex 0000000..{blob[:7]}\n",
               "3 f.txt\n", "     2\tb\n     3\tc\n", "a\nX\n"]
    verifier = Verifier()
    replay_trajectory(openai_traj(commands, outputs), tmp_path / "ws", checkpoints=verifier.check)
    kinds = {(c.kind, c.ok) for c in verifier.checks}
    assert kinds == {("blob", True), ("wc", True), ("view", True), ("view", False)}


def test_paths_outside_and_unknowable_are_not_written(tmp_path):
    outside = tmp_path / "outside.txt"
    commands = [f"cat > {outside} <<'EOF'\nx\nEOF",
                "echo x > ../escape.txt",
                "cd /tmp && echo x > rel.txt",
                'D=$(mktemp -d); cd "$D" && touch a b',
                "rm -rf /",
                'cat > "$(date)".txt <<EOF\nx\nEOF',
                "cat > u.txt <<EOF\n$(whoami)\nEOF",
                "for f in a b; do echo $f > $f.txt; done"]
    report, _ = replay_trajectory(openai_traj(commands, [""] * len(commands)), tmp_path / "ws")
    assert not outside.exists() and not (tmp_path / "escape.txt").exists()
    assert list((tmp_path / "ws").iterdir()) == []
    kinds = [(e.verb, e.kind) for e in report.events if e.kind != "skipped"]
    assert kinds == [("cat", "refused"), ("echo", "refused"), ("echo", "refused"), ("touch", "unreplayed"),
                     ("rm", "refused"), ("cat", "unreplayed"), ("cat", "unreplayed"), ("for", "unreplayed")]


MODES = ["audit-hook"] + (["unshare"] if confine._unshare_works() else []) + (["bwrap"] if confine._bwrap_works() else [])


@pytest.mark.parametrize("mode", MODES)
def test_python_patch_is_confined(mode, tmp_path, monkeypatch):
    monkeypatch.setenv("MEMAUDIT_REPLAY_CONFINE", mode)
    monkeypatch.setattr(confine, "_MODE", None)
    assert confine.confinement() == mode
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("one\n")
    ok = confine.run_python("from pathlib import Path\nPath('a.txt').write_text('two\\n')\n",
                            root=ws, cwd="/workspace", workspace="/workspace", argv=["-"])
    assert ok.returncode == 0, ok.stderr
    assert (ws / "a.txt").read_text() == "two\n"
    target = tmp_path / "escaped.txt"      # refused by the hook, or invisible inside the jail
    bad = confine.run_python(f"open({str(target)!r}, 'w').write('x')\n", root=ws, cwd="/workspace",
                             workspace="/workspace", argv=["-"])
    assert bad.returncode != 0 and not target.exists()
    spawn = confine.run_python("import os\nos.system('touch spawned')\n", root=ws, cwd="/workspace",
                               workspace="/workspace", argv=["-"])
    assert spawn.returncode != 0 and "refused" in spawn.stderr and not (ws / "spawned").exists()
    net = confine.run_python("import socket\nsocket.create_connection(('127.0.0.1', 9))\n", root=ws,
                             cwd="/workspace", workspace="/workspace", argv=["-"])
    assert net.returncode != 0 and "refused" in net.stderr


def test_patch_that_starts_processes_is_not_run(tmp_path):
    cmd = "python3 - <<'PY'\nimport subprocess\nsubprocess.run(['go', 'build'])\nopen('x', 'w')\nPY"
    report, _ = replay_trajectory(openai_traj([cmd], [""]), tmp_path / "ws")
    assert [(e.verb, e.kind) for e in report.events] == [("python", "unreplayed")]
    assert not (tmp_path / "ws" / "x").exists()


def test_unquoted_heredoc_expands_like_bash(tmp_path):
    cmd = 'NAME=world\ncat > g.txt <<EOF\nhi $NAME ${NAME} \\$HOME \\\\ `x\\`\nEOF'
    cmd = cmd.replace("`x\\`", "end")
    replay_trajectory(openai_traj([cmd], [""]), tmp_path / "ws")
    assert (tmp_path / "ws" / "g.txt").read_text() == "hi world world $HOME \\ end\n"


def test_shell_parser_splits_lists_heredocs_and_compounds():
    cmds = parse("cd /workspace && cat > a <<'E1'\nx\nE1\nif true; then\n echo > b\nfi; sed -i 's/a/b/' a | tee c")
    assert [c.compound or c.words[0].raw for c in cmds] == ["cd", "cat", "if", "sed", "tee"]
    assert [c.connector for c in cmds] == [None, "&&", ";", ";", "|"]
    assert cmds[1].heredocs()[0].body == "x\n" and cmds[1].heredocs()[0].quoted
    assert cmds[3].piped and cmds[4].piped


RESERVED = ("tomnomnom__gron", "psampaz__go-mod-outdated", "mibk__dupl", "xorg62__tty-clock", "lh3__seqtk")


def test_recipes_are_complete():
    recipes = build.load_recipes()
    assert len(recipes) >= 4
    for r in recipes:
        for key in ("repository", "commit", "task", "trajectory", "trajectory_blob", "model", "language"):
            assert r["submission"][key], (r["id"], key)
        for key in ("repository", "commit", "language"):
            assert r["original"][key], (r["id"], key)
        assert r["label"]["label"] in ("derived", "independent", "unclear")
        assert len(r["label"]["reasoning"]) > 200
        assert r["verification"]["verdict"] and r["verification"]["committed_files"]
        assert r["submission"]["task"].split(".")[0] not in RESERVED
    path = Path(build.__file__).parent / "cmatrix-gpt55high.toml"
    with open(path, "rb") as fh:
        assert tomllib.load(fh)["id"] == "cmatrix-gpt55high"


def test_build_says_which_snapshot_is_missing(tmp_path):
    recipe = build.load_recipes(["sd-gpt55high"])[0]
    with pytest.raises(build.BuildError, match="fetch github:ProgramBench/"):
        build.build_one(recipe, tmp_path, [tmp_path / "no-mirrors"])
