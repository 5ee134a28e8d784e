"""Model-file fuzzing (issue 7, item 6): N seeded mutations of files written by ax.save, loaded
by ax.load in worker subprocesses (safetensors_fuzz.py), must give 0 crashes, 0 hangs over
1 s and, for every file ax.load does not load, the loader's own ValueError ("ax.load: ...");
a pickle payload among them must never run. Every finding is kept as a minimal file in
tests/corpus/safetensors/ and replayed here.

AXONITE_FUZZ_N (default 20000) sets N for a longer local run; CI uses the default.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import safetensors_fuzz as fuzz

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus" / "safetensors"
N = int(os.environ.get("AXONITE_FUZZ_N", "20000"))
SEED = 0  # first seed; the run covers seeds SEED .. SEED + N - 1
WORKERS = 2  # subprocesses, one thread each (CI has 2 cores)
RUN_TIMEOUT_S = 600  # backstop for a whole worker; hangs are caught per load first
LISTS = ("unclean", "hangs", "canary", "died")


def _empty() -> dict[str, Any]:
    return {"n": 0, "counts": {}, "per_kind": {}, "max_load_s": 0.0, "max_load_input": ""} | {
        "peak_rss_mb": 0.0,
        **{key: [] for key in LISTS},
    }


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        counts[k] = counts.get(k, 0) + v


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Adds one worker's (or one range's) summary into total."""
    total["n"] += part["n"]
    _add(total["counts"], part["counts"])
    for kind, counts in part["per_kind"].items():
        _add(total["per_kind"].setdefault(kind, {}), counts)
    for key in LISTS:
        total[key] += part.get(key, [])
    if part["max_load_s"] >= total["max_load_s"]:
        total["max_load_s"], total["max_load_input"] = part["max_load_s"], part["max_load_input"]
    total["peak_rss_mb"] = max(total["peak_rss_mb"], part["peak_rss_mb"])


def _worker(
    tmp: pathlib.Path, tag: str, args: list[str], env: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Runs safetensors_fuzz.py with args in tmp (where a pickle canary would land). Returns
    (summary, {}) on success, else (None, failure) naming the input it died on."""
    progress = tmp / f"progress-{tag}"
    progress.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, str(HERE / "safetensors_fuzz.py"), *args, "--progress", str(progress)],
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
        | (env or {}),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    if proc.returncode == 0:
        return json.loads(proc.stdout.strip().splitlines()[-1]), {}
    return (
        None,
        {
            "input": progress.read_text().strip(),
            "returncode": proc.returncode,
            "hang": "Timeout (" in proc.stderr,  # faulthandler's watchdog message
            "stderr": proc.stderr[-1500:],
        },
    )


def _fuzz_range(
    tmp: pathlib.Path, start: int, stop: int, extra: list[str], env: dict[str, str] | None
) -> dict[str, Any]:
    """Seeds [start, stop) through a worker; after it dies (crash or watchdog), records the
    seed it was on and starts a new worker after it. A dead worker's counts are lost, so the
    total n falls short of stop - start whenever a death is recorded (the test fails then)."""
    total = _empty()
    while start < stop:
        args = ["--seeds", str(start), str(stop), *extra]
        summary, failure = _worker(tmp, str(start), args, env)
        if summary is not None:
            _merge(total, summary)
            break
        if not failure["input"]:  # died before its first load (say, an import error)
            total["died"].append({**failure, "kind": "startup"})
            break
        seed = int(failure["input"])
        total["died"].append({**failure, "kind": fuzz.kind_of(seed)})
        start = seed + 1
    return total


def fuzz_seeds(
    tmp: pathlib.Path,
    n: int,
    workers: int = WORKERS,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Seeds SEED .. SEED + n - 1 split over `workers` concurrent workers, merged."""
    bounds = [SEED + n * i // workers for i in range(workers + 1)]
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(
            lambda i: _fuzz_range(tmp, bounds[i], bounds[i + 1], list(extra), env), range(workers)
        )
        total = _empty()
        for part in parts:
            _merge(total, part)
    return total


# ---- tests --------------------------------------------------------------------------------------


def _script(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(HERE / "safetensors_fuzz.py"), *args],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout


def test_mutations_are_seeded_and_cover_every_kind(tmp_path: pathlib.Path) -> None:
    seeds = range(3 * len(fuzz.KINDS))
    files = [fuzz.mutate(s) for s in seeds]
    assert files == [fuzz.mutate(s) for s in seeds]  # same seed, same file
    assert {kind for kind, _ in files} == set(fuzz.KINDS)
    originals = {b.data for b in fuzz.bases()}
    assert sum(data in originals for _, data in files) <= 2  # nearly every file is mutated
    # Another process (other hash seeds, other clock) builds the same files, and the
    # reproduction command writes a seed's file.
    assert _script("--digest", "0", "2000").strip() == fuzz.digest(0, 2000)
    out = tmp_path / "15.safetensors"
    _script("--write", "15", str(out))
    assert out.read_bytes() == fuzz.mutate(15)[1]


def test_fuzzed_files_load_or_raise_clean_errors(tmp_path: pathlib.Path, reliability) -> None:
    r = fuzz_seeds(tmp_path, N)
    assert r["died"] == [], r["died"]  # crashes and watchdog kills, with their seeds
    assert r["hangs"] == [], r["hangs"]
    assert r["unclean"] == [], r["unclean"]
    assert r["canary"] == [] and not (tmp_path / fuzz.CANARY).exists(), r["canary"]
    assert r["n"] == N == sum(r["counts"].values())
    # Every kind is exercised and the run reaches both sides of the validators.
    assert set(r["per_kind"]) == set(fuzz.KINDS)
    assert r["counts"]["loaded"] > N // 20 and r["counts"]["rejected"] > N // 2
    c = r["counts"]
    reliability(
        f"file fuzz: {N} mutated safetensors files (seeds {SEED}-{SEED + N - 1}, {WORKERS} "
        f"workers x 1 thread, {len(fuzz.KINDS)} mutation kinds): 0 crashes, 0 hangs > "
        f"{fuzz.HANG_S:g} s (max load {r['max_load_s'] * 1e3:.1f} ms), {c['loaded']} loaded, "
        f"{c['rejected']} clean ValueError, {c['unclean']} other exceptions; pickle canary "
        f"never ran; peak worker RSS {r['peak_rss_mb']:.0f} MB"
    )


def test_harness_names_the_seed_of_a_crash_and_a_hang(tmp_path: pathlib.Path) -> None:
    crash = fuzz_seeds(tmp_path, 40, 1, env={fuzz.SELFTEST_ENV: "crash:17"})
    assert [(d["input"], d["hang"]) for d in crash["died"]] == [("17", False)]
    assert crash["died"][0]["returncode"] != 0 and crash["n"] == 22  # seeds 18-39 went on
    hang = fuzz_seeds(tmp_path, 10, 1, ["--watchdog", "1"], {fuzz.SELFTEST_ENV: "hang:4"})
    assert [(d["input"], d["hang"]) for d in hang["died"]] == [("4", True)]


def test_corpus_of_findings_is_rejected_cleanly(tmp_path: pathlib.Path, reliability) -> None:
    files = sorted(CORPUS.glob("*.safetensors"))
    assert files, f"no corpus files in {CORPUS}"
    summary, failure = _worker(tmp_path, "corpus", ["--files", *map(str, files)])
    assert summary is not None, failure
    assert summary["unclean"] == [] and summary["hangs"] == [], summary
    # Every corpus file is a hostile file a past loader mishandled: it must now be refused.
    assert summary["counts"] == {"loaded": 0, "rejected": len(files), "unclean": 0}, summary
    reliability(
        f"file fuzz corpus: {len(files)} past findings in tests/corpus/safetensors replayed "
        f"(1 worker x 1 thread): 0 crashes, {len(files)} clean ValueError"
    )
