"""Run the Lua executor under a real Lua 5.1 against the Python fake Resolve (tests/lua/harness.lua)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from aivp_nle.resolve.install import SCRIPTS

from .fake_resolve import FakeResolve

HARNESS = Path(__file__).resolve().parent / "lua" / "harness.lua"
LUA = shutil.which("lua5.1") or shutil.which("luajit") or shutil.which("lua")


def _encode(value: Any, handles: list[Any]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_encode(v, handles) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, handles) for k, v in value.items()}
        return {"$d": [[_encode(k, handles), _encode(v, handles)] for k, v in value.items()]}
    handles.append(value)
    return {"$h": len(handles) - 1}


def _decode(value: Any, handles: list[Any]) -> Any:
    if isinstance(value, list):
        return [_decode(v, handles) for v in value]
    if isinstance(value, dict):
        if "$h" in value:
            return handles[value["$h"]]
        return {k: _decode(v, handles) for k, v in value.items()}
    return None if value == "$nil" else value


def run_lua(resolve: FakeResolve | None, folder: Path, actions: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Printed lines and the report ({} when main returned nothing) of the Lua executor's main()."""
    assert LUA is not None, "no Lua interpreter (install lua5.1)"
    executor = SCRIPTS / "support" / "executor.lua"
    mode = [] if resolve is not None else ["no-resolve"]
    process = subprocess.Popen(
        [LUA, str(HARNESS), str(executor), f"{folder}/", ",".join(actions), *mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )
    assert process.stdin is not None and process.stdout is not None
    handles: list[Any] = [resolve]
    printed: list[str] = []
    report: dict[str, Any] = {}
    for line in process.stdout:
        kind, _, body = line.rstrip("\n").partition(" ")
        if kind == "OUT":
            printed.append(json.loads(body))
        elif kind == "END":
            report = json.loads(body)
            break
        elif kind == "CALL":
            request = json.loads(body)
            target = handles[request["h"]]
            if "get" in request:
                answer = getattr(target, request["get"])
            else:
                answer = getattr(target, request["m"])(*_decode(request["a"], handles))
            process.stdin.write(json.dumps(_encode(answer, handles)) + "\n")
            process.stdin.flush()
        else:
            raise AssertionError(f"unexpected line from Lua: {line!r}")
    process.stdin.close()
    errors = process.stderr.read() if process.stderr else ""
    assert process.wait(timeout=30) == 0, errors
    return printed, report
