"""Filter page state in the URL: a shared link restores ranking, direction, target and thresholds (one range codec)."""

from core.app_support import (
    SelectionView,
    filter_from_params,
    filter_to_params,
    is_selection_key,
    selection_from_params,
    selection_to_params,
    slider_range,
    slider_start,
)
from core.selection import SelectionConfig, preview_selection
from storage.browse import SceneFilter, SceneOrder
from tests.app.pages_helpers import figures, open_page

COLUMNS = ("diff_model", "diff_hit", "strong_E", "weak_E")


def test_params_round_trip_and_bad_values_are_ignored():
    view = SelectionView(
        "weak_E", True, 25, ["diff_model", "weak_E"], {"diff_model": (0.125, None), "weak_E": (None, 1.5)}
    )
    params = selection_to_params(view)
    assert params == {
        "rank": "weak_E",
        "asc": "1",
        "target": "25",
        "th": "diff_model,weak_E",
        "r_diff_model": "0.125:",
        "r_weak_E": ":1.5",
    }
    assert selection_from_params(params, COLUMNS) == view
    assert selection_to_params(SelectionView()) == {}
    assert selection_to_params(SelectionView(on=[])) == {"th": "-"}
    assert selection_from_params({"th": "-"}, COLUMNS).on == []
    bad = {"rank": "nope", "asc": "yes", "target": "-3", "th": "x,diff_hit", "r_diff_hit": "nan:", "r_x": ":1"}
    assert selection_from_params(bad, COLUMNS) == SelectionView(on=["diff_hit"])
    assert [k for k in ("rank", "r_x", "page", "q", "th") if is_selection_key(k)] == ["rank", "r_x", "th"]


def test_samples_and_filter_share_one_range_codec():
    ranges = {"diff_model": (0.5, None), "weak_E": (0.25, 1.5)}
    flt = SceneFilter(ranges=ranges)
    view = SelectionView(on=["diff_model", "weak_E"], ranges=ranges)
    shared = {"r_diff_model": "0.5:", "r_weak_E": "0.25:1.5"}
    assert (
        filter_to_params(flt, SceneOrder())
        == shared
        == {k: v for k, v in selection_to_params(view).items() if k != "th"}
    )
    assert (
        filter_from_params(shared)[0].ranges
        == ranges
        == selection_from_params({**shared, "th": "diff_model,weak_E"}, COLUMNS).ranges
    )
    assert [slider_start((None, 9.0), 0.0, 3.0), slider_start((2.0, 1.0), 0.0, 3.0)] == [(0.0, 3.0), (2.0, 2.0)]
    assert [slider_range((0.0, 3.0), 0.0, 3.0), slider_range((1.0, 3.0), 0.0, 3.0)] == [None, (1.0, None)]


def test_a_shared_link_restores_the_controls_and_the_kept_set(workspace, engine):
    at = open_page("filter", rank="diff_model", asc="1", target="3", th="diff_model,weak_E", r_diff_model="0.5:")
    assert at.selectbox(key="rank_column").value == "diff_model"
    assert at.radio(key="rank_dir").value == "smaller first"
    assert at.number_input(key="target").value == 3
    assert at.multiselect(key="threshold_columns").value == ["diff_model", "weak_E"]
    low, high = at.slider(key="th_diff_model").value
    assert low == 0.5
    assert at.slider(key="th_weak_E").value[0] < at.slider(key="th_weak_E").value[1]
    config = SelectionConfig(column="diff_model", ascending=True, target=3, mins={"diff_model": 0.5})
    expected = preview_selection(engine=engine, config=config)
    kept = figures(at, "Scored scenes", "Kept", "Dropped")["Kept"]
    assert kept == "2" == str(len(expected.kept))  # 4 without the link
    assert at.query_params["r_diff_model"] == "0.5:" and at.query_params["target"] == "3"


def test_moving_a_slider_writes_the_url(workspace):
    at = open_page("filter")
    assert not any(is_selection_key(k) for k in at.query_params)
    low, high = at.slider(key="th_diff_model").value
    at.slider(key="th_diff_model").set_value((0.5, high)).run()
    assert at.query_params["r_diff_model"] == "0.5:"
    at.radio(key="rank_dir").set_value("smaller first").run()
    assert at.query_params["asc"] == "1"
