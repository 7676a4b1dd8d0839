"""The Explore page's discovery section under AppTest: a real report of tiny.en on three clips, browsed and
applied as head set A and B."""

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest  # noqa: E402

from whisper_viz.evaluation.corpus import read_manifest  # noqa: E402
from whisper_viz.evaluation.corpus_discovery import DiscoverySettings, discover_on_corpus  # noqa: E402
from whisper_viz.evaluation.engines import EngineOptions  # noqa: E402
from whisper_viz.heads import HeadSet  # noqa: E402

TIMEOUT_S = 180
MANIFEST = Path(__file__).resolve().parents[2] / "bench" / "discovery" / "synthetic.jsonl"
CLIPS = ("train_words_02", "train_words_08", "test_words_06")


def explore_app():
    from whisper_viz.ui.pages import explore

    explore.render()


@pytest.fixture(scope="module")
def report_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("corpus")
    lines = [line for line in MANIFEST.read_text().splitlines() if json.loads(line)["id"] in CLIPS]
    manifest = folder / "m.jsonl"
    manifest.write_text("".join(line.replace('"../', f'"{MANIFEST.parent}/../') + "\n" for line in lines))
    report = discover_on_corpus(read_manifest(manifest), EngineOptions(model="tiny.en"), DiscoverySettings(max_heads=4))
    return json.dumps(report.to_dict()).encode()


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _section(at: AppTest, name: str) -> AppTest:
    return at.segmented_control(key="section").set_value(name).run()


def test_a_report_is_browsed_and_its_sets_applied_as_a_and_b(report_bytes):
    report = json.loads(report_bytes)
    at = _section(AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run(), "discovery")
    _no_errors(at)
    assert any("heads discover" in c.value for c in at.caption)
    at.file_uploader(key="discovery_report").set_value(("report.json", report_bytes, "application/json")).run()
    _no_errors(at)
    assert [m.label for m in at.metric][:2] == ["chosen, held-out MAE", "official, held-out MAE"]
    table = at.dataframe[0].value
    assert list(table["set"][:2]) == ["chosen", "official"] and len(table) == 2 + len(report["candidates"])
    assert list(table["layer:head"][:2]) == [report["chosen"]["heads_text"], report["official"]["heads_text"]]
    assert len(at.get("plotly_chart")) == 2  # candidates by size, every head's per-clip MAE distribution

    at.selectbox(key="discovery_set").set_value("candidate 2").run()
    at.button(key="discovery_apply_a").click().run()
    candidate = HeadSet.from_text(report["candidates"][1]["heads_text"], (4, 6))
    assert at.session_state["_heads_a"] == candidate
    at.selectbox(key="discovery_set").set_value("chosen").run()
    at.button(key="discovery_apply_b").click().run()
    _no_errors(at)
    at = _section(at, "compare")
    _no_errors(at)
    assert at.text_input(key="heads_b").value == report["chosen"]["heads_text"]
    assert at.query_params["heads"] == candidate.to_text()
    at = _section(at, "heads")
    assert at.checkbox(key="head_{}_{}".format(*candidate.pairs()[0])).value


def test_bad_and_foreign_reports_are_explained(report_bytes):
    at = _section(AppTest.from_function(explore_app, default_timeout=TIMEOUT_S).run(), "discovery")
    at.file_uploader(key="discovery_report").set_value(("notes.json", b'{"model": "x"}', "application/json")).run()
    assert not at.exception and "not a discovery report" in at.error[0].value
    foreign = json.loads(report_bytes)
    foreign["shape"] = [6, 8]
    foreign["per_head"]["mae_s"] = [[0.1] * 8] * 6
    foreign["per_head"]["within_50ms"] = [[0.5] * 8] * 6
    foreign["per_head"]["clip_mae_histogram"]["counts"] = [[[0] * 41] * 8] * 6
    at.file_uploader(key="discovery_report").set_value(("base.json", json.dumps(foreign).encode(), "application/json"))
    at.run()
    _no_errors(at)
    assert "6 layers x 8 heads" in at.warning[0].value
    assert at.button(key="discovery_apply_a").disabled and at.button(key="discovery_apply_b").disabled
