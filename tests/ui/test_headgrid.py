"""Head grid widget helpers that need no running app."""

from whisper_viz.ui.widgets.headgrid import PRESET_HELP, PRESET_LABELS, clicked_head


def test_clicked_head_reads_the_marker_customdata():
    assert clicked_head({"points": [{"customdata": [2, 5]}]}) == (2, 5)
    assert clicked_head({"points": []}) is None
    assert clicked_head(None) is None


def test_every_alignment_preset_but_the_reference_gets_a_button_with_its_description():
    from whisper_viz.alignment.presets import PRESETS

    assert list(PRESET_LABELS) == ["official", "all", "upper", "none", *[p for p in PRESETS if p != "reference"]]
    assert PRESET_HELP["tuned"] == PRESETS["tuned"].description
