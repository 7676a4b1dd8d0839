"""Fuzz load_audio with corrupted copies of the committed clips.

Each case must either decode to finite float32 (samples,) or raise AudioError: never another
exception, a crash or a hang. The cases run in a child process so that a crash or hang inside
libsndfile fails the test (naming the case) instead of killing or stalling pytest.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

N_CASES = 1000
SEED = 20240607
CLIPS = ("hello.wav", "hello.flac", "hello.ogg", "hello.mp3", "hello_stereo44k.wav", "silence3.wav", "pause7.flac")
HEADER_BYTES = 256  # where containers keep their headers; half the byte flips land here
CASE_TIMEOUT_SECONDS = 10  # one decode of a 4 s clip takes milliseconds
TOTAL_TIMEOUT_SECONDS = 240
REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "tests" / "data"


def _flip(data: bytearray, rng: np.random.Generator) -> bytearray:
    for _ in range(rng.integers(1, 20)):
        span = HEADER_BYTES if rng.random() < 0.5 else len(data)
        data[rng.integers(0, min(span, len(data)))] ^= int(rng.integers(1, 256))
    return data


def _truncate(data: bytearray, rng: np.random.Generator) -> bytearray:
    return data[: rng.integers(0, len(data))]


def _splice(data: bytearray, rng: np.random.Generator) -> bytearray:
    at = rng.integers(0, len(data) + 1)
    return data[:at] + bytearray(rng.bytes(int(rng.integers(1, 512)))) + data[at:]


def _overwrite(data: bytearray, rng: np.random.Generator) -> bytearray:
    at = rng.integers(0, len(data))
    noise = rng.bytes(int(rng.integers(1, 4096)))
    data[at : at + len(noise)] = noise[: len(data) - at]
    return data


def _zero_header(data: bytearray, rng: np.random.Generator) -> bytearray:
    start = rng.integers(0, HEADER_BYTES)
    end = start + rng.integers(1, 64)
    data[start:end] = bytes(len(data[start:end]))
    return data


def _duplicate(data: bytearray, rng: np.random.Generator) -> bytearray:
    start = rng.integers(0, len(data))
    chunk = data[start : start + rng.integers(1, 8192)]
    at = rng.integers(0, len(data) + 1)
    return data[:at] + chunk + data[at:]


MUTATIONS = (_flip, _truncate, _splice, _overwrite, _zero_header, _duplicate)


def make_cases(n_cases: int = N_CASES, seed: int = SEED) -> list[tuple[str, bytes]]:
    """Deterministic (description, corrupted bytes) pairs: one to three mutations of a random clip."""
    rng = np.random.default_rng(seed)
    originals = {name: (DATA_DIR / name).read_bytes() for name in CLIPS}
    cases = []
    for _ in range(n_cases):
        name = CLIPS[rng.integers(0, len(CLIPS))]
        data = bytearray(originals[name])
        steps = []
        for _ in range(rng.integers(1, 4)):
            mutation = MUTATIONS[rng.integers(0, len(MUTATIONS))]
            if len(data) > 0:
                data = mutation(data, rng)
            steps.append(mutation.__name__.lstrip("_"))
        cases.append((f"{name}+{'+'.join(steps)}", bytes(data)))
    return cases


def run_worker(n_cases: int, seed: int = SEED) -> int:
    """Child process: decode every case, print one line each; return the number of bad outcomes."""
    import faulthandler

    from whisper_viz.engine.audio import load_audio
    from whisper_viz.errors import AudioError

    bad = 0
    for index, (label, data) in enumerate(make_cases(n_cases, seed)):
        print(f"START {index} {label}", flush=True)
        faulthandler.dump_traceback_later(CASE_TIMEOUT_SECONDS, exit=True)  # a hang in C ends the child
        try:
            audio = load_audio(data)
        except AudioError:
            outcome = "error"
        except BaseException as e:  # anything else is a bug in load_audio's guards
            outcome, bad = f"BAD raised {type(e).__name__}: {e}", bad + 1
        else:
            good = audio.dtype == np.float32 and audio.ndim == 1 and audio.size > 0
            outcome = "ok" if good and np.isfinite(audio).all() else "BAD returned invalid audio"
            bad += outcome != "ok"
        faulthandler.cancel_dump_traceback_later()
        print(f"DONE {index} {outcome}", flush=True)
    return bad


@pytest.mark.slow
def test_corrupted_clips_decode_or_raise_audio_error():
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, __file__, str(N_CASES)],
        capture_output=True, text=True, timeout=TOTAL_TIMEOUT_SECONDS, cwd=REPO, env=env,
    )
    lines = proc.stdout.splitlines()
    started = [line for line in lines if line.startswith("START")]
    bad = [line for line in lines if line.startswith("DONE") and "BAD" in line]
    last = started[-1] if started else "no case started"
    assert proc.returncode == 0 and not bad, (
        f"exit code {proc.returncode}; last case: {last}; bad outcomes: {bad[:10]}\n{proc.stderr[-3000:]}"
    )
    done = [line for line in lines if line.startswith("DONE")]
    assert len(done) == N_CASES
    # The fuzz must exercise both branches, or the mutations are too weak or too strong.
    assert sum(line.endswith(" ok") for line in done) > N_CASES // 20
    assert sum(line.endswith(" error") for line in done) > N_CASES // 20


if __name__ == "__main__":
    # python tests/test_audio_fuzz.py N_CASES [SEED]: run the cases here, e.g. with more cases or another seed
    sys.exit(min(run_worker(int(sys.argv[1]), *map(int, sys.argv[2:3])), 1))
