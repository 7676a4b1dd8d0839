"""Discovery on Ray (engines.py): a local Ray on 2 CPUs with 2 workers chooses what the in-process run
chooses, reports failures, and resumes after being stopped. Every run is bounded by a timeout."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from whisper_viz.evaluation.corpus import read_manifest
from whisper_viz.evaluation.corpus_discovery import DiscoverySettings, discover_on_corpus
from whisper_viz.evaluation.engines import EngineOptions, open_engine
from whisper_viz.evaluation.score_cache import ScoreCache

pytest.importorskip("ray")
REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "bench" / "discovery" / "synthetic.jsonl"  # written by bench/discovery/make_manifest.py
RUN_TIMEOUT_S = 600
SAME_KEYS = ("heads", "chosen", "official", "candidates")


def discover_cli(manifest: Path, report: Path, cache: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    """`whisper-viz heads discover --manifest ... --engine ray --workers 2` in a process of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    command = [sys.executable, "-m", "whisper_viz", "heads", "discover", "--manifest", str(manifest),
               "--engine", "ray", "--workers", "2", "--json", str(report), "--cache", str(cache), *extra]
    # Ctrl-C is delivered as in a terminal even where this suite runs in the background (where the shell
    # starts it with SIGINT ignored, and a child would inherit that)
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(process: subprocess.Popen) -> str:
    try:
        out, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return out


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(Exception, match="unknown engine 'spark'"):
        open_engine(EngineOptions(engine="spark"))


def test_ray_chooses_the_in_process_set_and_resumes_after_being_stopped(small_corpus, tmp_path):
    in_process = discover_on_corpus(read_manifest(small_corpus), EngineOptions(model="tiny.en"),
                                    DiscoverySettings(), ScoreCache(tmp_path / "in-process")).to_dict()
    cache, report = tmp_path / "ray-cache", tmp_path / "ray.json"
    stopped = discover_cli(small_corpus, report, cache)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while len(list(cache.glob("*/*.json"))) < 3 and stopped.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    stopped.send_signal(signal.SIGINT)  # Ctrl-C while the first pass is under way
    out = finish(stopped)
    assert stopped.returncode == 130, out
    assert "run the same command to resume" in out and not report.exists()
    done_before = len(list(cache.glob("*/*.json")))
    assert 3 <= done_before < 10  # 4 head-pass clips + 6 set-pass clips in all

    out = finish(discover_cli(small_corpus, report, cache))
    ray_report = json.loads(report.read_text())
    assert ray_report["engine"] == "ray" and ray_report["workers"] == 2, out
    assert ray_report["clips"]["from_cache"] >= done_before
    assert ray_report["clips"]["from_cache"] + ray_report["clips"]["computed"] == 10
    for key in SAME_KEYS:
        assert ray_report[key] == in_process[key], key
    assert ray_report["per_head"]["boundaries"] == in_process["per_head"]["boundaries"]
    assert "chosen heads" in out and "held out" in out


def test_a_model_the_workers_cannot_load_stops_the_run(small_corpus, tmp_path):
    from whisper_viz.weights.registry import resolve_source

    broken = tmp_path / "broken-model"  # found by the driver, unreadable by the workers
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"\x06\x00\x00\x00not a model" * 10)
    shutil.copy(resolve_source("tiny.en").tokenizer, broken / "tokenizer.json")
    env_cache = {"WHISPER_VIZ_CACHE": str(tmp_path / "converted")}
    out = finish(discover_cli(small_corpus, tmp_path / "r.json", tmp_path / "cache", "--model", str(broken),
                              env=env_cache))
    assert "whisper-viz: error: the Ray workers could not load" in out and "WeightsError" in out, out
    assert not (tmp_path / "r.json").exists()
    out = finish(discover_cli(small_corpus, tmp_path / "r.json", tmp_path / "cache", "--model", str(tmp_path)))
    assert "whisper-viz: error: No model in folder" in out  # one the driver cannot find stops before Ray starts


def test_a_clip_that_fails_on_a_worker_is_reported(small_corpus, tmp_path):
    lines = small_corpus.read_text().splitlines()[:2]
    lines.append(json.dumps({"id": "missing", "audio": str(tmp_path / "nowhere.flac"), "split": "train",
                             "words": [{"word": "x", "start": 0.0, "end": 1.0}]}))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    out = finish(discover_cli(manifest, tmp_path / "r.json", tmp_path / "cache", "--max-heads", "2",
                              "--held-out", "0"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert [f["id"] for f in report["failed"]] == ["missing"] and "AudioError" in report["failed"][0]["error"]
    assert report["clips"]["scored"] == 2 and "failed: missing" in out


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tiny.en", "base"])
def test_ray_on_the_synthetic_corpus_beats_the_official_heads_on_held_out_clips(model, tmp_path):
    """The whole synthetic corpus (19 clips choose, 22 measure): Ray and in-process pick the same set, and its
    held-out MAE is no worse than the official heads'."""
    in_process = discover_on_corpus(read_manifest(MANIFEST), EngineOptions(model=model), DiscoverySettings(),
                                    ScoreCache(tmp_path / "in-process")).to_dict()
    out = finish(discover_cli(MANIFEST, tmp_path / "ray.json", tmp_path / "ray-cache", "--model", model))
    on_ray = json.loads((tmp_path / "ray.json").read_text())
    assert on_ray["clips"] == {**in_process["clips"], "from_cache": 0, "computed": 60}, out
    for key in SAME_KEYS:
        assert on_ray[key] == in_process[key], key
    assert on_ray["chosen"]["held_out"]["mae_s"] <= on_ray["official"]["held_out"]["mae_s"]
