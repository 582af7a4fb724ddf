"""Templates and rendering: exact texts, missing features, the generic fallback."""

from core.scenes.render import Renderer, format_value, render_history, render_option, render_profile
from core.templates import TEMPLATES, templates_for


def test_every_named_format_has_the_three_sections_and_unknown_formats_get_the_generic_one():
    for fmt in ("movielens", "movietweetings", "amazon", "mind", "goodbooks"):
        got = templates_for(fmt)
        assert {"profile", "history", "exposure"} <= set(got) and got["format"] == fmt
    assert templates_for("unified")["format"] == "generic"
    assert templates_for("whatever")["profile"]["extra"] == "all"


def test_templates_for_returns_a_copy():
    got = templates_for("movielens")
    got["profile"]["parts"].append("{zip_code}")
    assert "{zip_code}" not in TEMPLATES["movielens"]["profile"]["parts"]


def test_movielens_texts():
    t = templates_for("movielens")
    assert render_profile(t, {"gender": "female", "age": "25-34", "occupation": "writer", "zip_code": "02139"}) == (
        "Gender: female; Age: 25-34; Occupation: writer"
    )
    assert render_profile(t, {"gender": "male"}) == "Gender: male"
    assert render_profile(t, {}) == "A movie viewer with no profile information."
    features = {"genres": ["Animation", "Comedy"], "year": 1995}
    assert render_option(t, "Toy Story", features) == "Toy Story (1995) | genres: Animation, Comedy"
    assert render_option(t, "Toy Story (1995)", features) == "Toy Story (1995) | genres: Animation, Comedy"
    assert render_history(t, "Toy Story (1995)", features, {"rating": 4}, 0) == (
        "Toy Story (1995) | genres: Animation, Comedy | rated 4/5"
    )
    assert render_history(t, "Heat", {}, {}, 0) == "Heat"


def test_missing_values_drop_their_part():
    t = templates_for("amazon")
    text = render_option(t, "Kettle", {"store": "Acme", "price": None, "average_rating": 4.5, "rating_number": 12})
    assert text == "Kettle | store: Acme | average rating 4.5 from 12 ratings"
    assert render_option(t, "Kettle", {"average_rating": 4.5}) == "Kettle"


def test_generic_template_lists_every_feature():
    t = templates_for("unified")
    assert render_profile(t, {"age": 31, "city": "Ghent"}) == "age: 31; city: Ghent"
    assert render_profile(t, {}) == "No profile information."
    assert render_option(t, "Lamp", {"color": "red", "tags": ["a", "b"], "empty": ""}) == "Lamp; color: red; tags: a, b"
    assert render_history(t, "Lamp", {"color": "red"}, {"quantity": 2}, 86_400) == "Lamp; color: red; quantity: 2"


def test_format_value():
    assert format_value(3.0) == "3"
    assert format_value(3.25) == "3.25"
    assert format_value(float("nan")) is None
    assert format_value([]) is None
    assert format_value(True) == "yes"
    assert format_value("x" * 10, max_chars=5) == "xxxx…"


def test_renderer_matches_the_plain_functions():
    t = templates_for("goodbooks")
    feats = {7: {"authors": "Ann Lee", "year": 2001, "average_rating": 4.1, "tags": ["fantasy", "magic"]}}
    renderer = Renderer(t, {7: "The Book"}, feats.get)
    assert (
        renderer.option(7)
        == render_option(t, "The Book", feats[7])
        == ("The Book by Ann Lee (2001) | average rating 4.1 | tags: fantasy, magic")
    )
    assert (
        renderer.history(7, {"rating": 5}, 0)
        == render_history(t, "The Book", feats[7], {"rating": 5}, 0)
        == ("The Book by Ann Lee (2001) | rated 5/5")
    )
