"""Replays every op finding in tests/corpus/ops (issue 7, item 10): each file is a past crash,
hang or wrong result, run in its own interpreter so that a crash or hang fails its test and
not the run. The file format is described in tests/corpus/ops/README.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import axonite as ax

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "ops"
FILES = sorted(CORPUS.glob("*.json"))
TIMEOUT_S = 60  # a finding that was a hang must now finish long before this
REPLAYED: list[str] = []  # outcomes of this run's replays, for the report line

# The child prints one line: "raised <Type> <message>", "ok" or "check failed <values>".
CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import axonite as ax
    import axonite.nn.functional as F

    case = json.loads(sys.argv[1])
    env = {"ax": ax, "F": F, "np": np}
    try:
        exec(case["code"], env)
    except Exception as e:  # the finding's expected outcome is judged by the parent
        print("raised", type(e).__name__, str(e).replace("\\n", " "))
        sys.exit(0)
    if "check" in case and not eval(case["check"], env):
        values = {k: v for k, v in env.items() if k not in ("ax", "F", "np", "__builtins__")}
        print("check failed", values)
    else:
        print("ok")
    """
)


def test_corpus_is_not_empty() -> None:
    assert len(FILES) >= 7, f"expected the op findings in {CORPUS}, found {len(FILES)}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_op_finding_replays_cleanly(path: Path) -> None:
    case = json.loads(path.read_text())
    assert {"finding", "code"} <= case.keys() and ("raises" in case) != ("check" in case), (
        f"{path.name}: needs finding, code and exactly one of raises/check"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(ax.__file__).resolve().parents[1]))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(case)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, f"{path.name}: child died (rc {proc.returncode}): {proc.stderr}"
    out = proc.stdout.strip().splitlines()[-1]
    if "raises" in case:
        kind, _, rest = out.partition(" ")
        assert kind == "raised", f"{path.name}: expected {case['raises']}, got {out!r}"
        exc, _, msg = rest.partition(" ")
        assert exc in case["raises"].split("|"), f"{path.name}: raised {exc}: {msg}"
        assert re.search(case["match"], msg), f"{path.name}: message {msg!r}"
        REPLAYED.append(exc)
    else:
        assert out == "ok", f"{path.name}: {out}"
        REPLAYED.append("check")


def test_corpus_report(reliability) -> None:  # keep last: it reads what the replays recorded
    n_exc = sum(r != "check" for r in REPLAYED)
    reliability(
        f"op findings corpus: {len(FILES)} past crashes, hangs and wrong results in "
        f"tests/corpus/ops replayed, one interpreter each: {len(REPLAYED)} clean "
        f"({n_exc} clean exceptions, {len(REPLAYED) - n_exc} checked values), "
        f"{len(FILES) - len(REPLAYED)} failed"
    )
