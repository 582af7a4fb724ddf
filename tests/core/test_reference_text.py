"""Reference-style scene text: raw files in each public layout -> ingest -> scenes -> the user turn the reference's
own strategy would render, written out by hand from its templates (usermirrorer/strategy/*.py)."""

import json

import pytest
from sqlmodel import select

from core.cli.main import main
from core.ingest import ingest
from core.reference_prompts import user_turn
from core.scenes import build_scenes
from core.scenes.reference_text import ReferenceRenderer, time_ago, truncate_words
from storage.models import Item, Scene

T = 946_598_400  # 1999-12-31 00:00:00 UTC: the target time of the MovieLens and Amazon scenes
DAY = 86_400


def only_scene(session) -> Scene:
    (scene,) = session.exec(select(Scene)).all()
    return scene


def turn(scene: Scene) -> str:
    return user_turn(profile=scene.profile, history=scene.history, options=scene.options)


def arranged(scene: Scene, target: str, other: str) -> str:
    """The two lettered options in the scene's order (the true item sits at item_pos)."""
    first, second = (target, other) if scene.item_pos == 0 else (other, target)
    return f"[A] {first}\n[B] {second}"


def build(engine, name: str, **kw) -> None:
    settings = {"count": 1, "min_exposure": 2, "max_exposure": 2, "scorers": ["popularity"]} | kw
    report = build_scenes(engine=engine, dataset=name, **settings)
    assert report.created == 1, report.message


def test_movielens_1m_scene_is_the_ml1m_strategy_text(engine, session, tmp_path):
    root = tmp_path / "ml-1m"
    root.mkdir()
    (root / "users.dat").write_text("1::M::25::12::55117\n2::F::56::0::10001\n3::F::45::3::02139\n")
    movies = (
        "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n"
        "3::Heat (1995)::Action|Crime|Thriller\n4::Casino (1995)::Drama|Thriller\n"
        "5::American Beauty (1999)::Comedy|Drama\n"
    )
    (root / "movies.dat").write_bytes(movies.encode("latin-1"))
    ratings = [
        (1, 3, 4, T - 45 * DAY),  # 1 month ago
        (1, 1, 5, T - 3 * DAY - 5 * 3600),  # 3 days ago
        (1, 2, 3, T - 3600),  # 1 hour ago
        (1, 5, 4, T),  # the target
        (2, 4, 5, T - 10 * DAY),  # Casino: the most popular item user 1 never rated
        (3, 4, 2, T - 9 * DAY),
    ]
    (root / "ratings.dat").write_text("".join(f"{u}::{i}::{r}::{t}\n" for u, i, r, t in ratings))
    ingest(engine=engine, name="ml", fmt="movielens", path=root, min_interactions=1)
    build(engine, "ml", history_min=3, history_max=3)
    scene = only_scene(session)
    assert scene.prompt_style == "reference"
    assert turn(scene) == (
        "# User Profile\n"
        "## User Profile\n"
        "Gender: male\n"
        "Age: 25-34\n"
        "Occupation: programmer\n"
        "Location: 55117\n"
        "\n"
        "\n"
        "## History\n"
        "A movie viewed 1 month ago\n"
        "Heat (1995) Action|Crime|Thriller \n"
        "My Behavior:\n"
        "Rating: 4.0/5.0\n"
        "\n"
        "A movie viewed 3 days ago\n"
        "Toy Story (1995) Animation|Children's|Comedy \n"
        "My Behavior:\n"
        "Rating: 5.0/5.0\n"
        "\n"
        "A movie viewed 1 hour ago\n"
        "Jumanji (1995) Adventure|Children's|Fantasy \n"
        "My Behavior:\n"
        "Rating: 3.0/5.0\n"
        "\n"
        "\n"
        "# Exposure List\n"
        + arranged(
            scene,
            "[New Release]American Beauty (1999) - Comedy|Drama \n",  # 364 days after Jan 1 1999
            "Casino (1995) - Drama|Thriller \n",
        )
        + "\n"
    )
    # the reference's Age_map knows no 50 or 56 bucket and words 45 as "45+"
    renderer = ReferenceRenderer("movielens", {}, lambda _: {})
    older = {"gender": "female", "age": "56+", "occupation": "other", "zip_code": "10001"}
    assert (
        renderer.profile(older) == "## User Profile\nGender: female\nAge: Unknown\nOccupation: other\nLocation: 10001\n"
    )
    assert renderer.profile({"age": "45-49"}).splitlines()[1:] == [
        "Gender: Unknown",
        "Age: 45+",
        "Occupation: Unknown",
        "Location: Unknown",
    ]


def test_amazon_scene_is_the_amazon_strategy_text(engine, session, tmp_path):
    root = tmp_path / "amazon"
    root.mkdir()
    ms = 1000
    long_review = " ".join(f"w{k}" for k in range(1, 33))  # 32 words: cut after 30
    reviews = [
        ("AG1", "P1", T - 400 * DAY, 5.0, "Great", "Loved it"),
        ("AG1", "P2", T - 2 * DAY, 2.0, "Meh", long_review),
        ("AG1", "P3", T - 120, 4.0, "Fine", "It works"),
        ("AG1", "P4", T, 5.0, "Yes", "Target"),
        ("AG2", "P5", T - 5 * DAY, 3.0, "Ok", "ok"),
    ]
    meta = [
        ("P1", "Lip balm", "All Beauty", ["Beauty", "Lips"], 7.99, 4.5, 10),
        ("P2", "A very long product name with more than ten words in it for sure", "All Beauty", [], "None", 4.0, 3),
        ("P3", "Comb", "All Beauty", ["Beauty", "Hair"], 20.0, 3.9, 1234),
        ("P4", "Brush", "All Beauty", ["Beauty", "Hair"], 12.5, 4.1, 56),
        ("P5", "Soap", "All Beauty", ["Beauty", "Bath"], 3.0, 4.7, 99),
    ]
    (root / "All_Beauty.jsonl").write_text(
        "".join(
            json.dumps({"rating": r, "title": ti, "text": tx, "parent_asin": p, "user_id": u, "timestamp": t * ms})
            + "\n"
            for u, p, t, r, ti, tx in reviews
        )
    )
    (root / "meta_All_Beauty.jsonl").write_text(
        "".join(
            json.dumps(
                {"parent_asin": p, "title": ti, "main_category": mc, "categories": c, "price": pr}
                | {"average_rating": ar, "rating_number": rn, "store": "Acme"}
            )
            + "\n"
            for p, ti, mc, c, pr, ar, rn in meta
        )
    )
    ingest(engine=engine, name="amz", fmt="amazon", path=root, min_interactions=1)
    build(engine, "amz", history_min=3, history_max=3)
    scene = only_scene(session)
    target = "Product name: Brush\nCategory: Beauty-Hair\nPrice: $12.5\nRatings: 4.1 (56)\n"
    other = "Product name: Soap\nCategory: Beauty-Bath\nPrice: $3.0\nRatings: 4.7 (99)\n"
    assert turn(scene) == (
        "# User Profile\n"
        "\n"
        "\n"
        "## History\n"
        "A product bought 1 year ago\n"
        "Product name: Lip balm\n"
        "Category: Beauty-Lips\n"
        "Price: $7.99\n"
        "Ratings: 4.5 (10)\n"
        "My Behavior:\n"
        "Rating: 5.0/5 \n"
        "Review: Great\n"
        "Loved it\n"
        "\n"
        "A product bought 2 days ago\n"
        "Product name: A very long product name with more than ten words...\n"
        "Category: All Beauty\n"
        "Price: $None\n"  # the reference's history line prints the raw "None" price (its option line says NA)
        "Ratings: 4.0 (3)\n"
        "My Behavior:\n"
        "Rating: 2.0/5 \n"
        "Review: Meh\n"
        "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 "
        "w30...\n"
        "\n"
        "A product bought 2 minutes ago\n"
        "Product name: Comb\n"
        "Category: Beauty-Hair\n"
        "Price: $20.0\n"
        "Ratings: 3.9 (1234)\n"
        "My Behavior:\n"
        "Rating: 4.0/5 \n"
        "Review: Fine\n"
        "It works\n"
        "\n"
        "\n"
        "# Exposure List\n" + arranged(scene, target, other) + "\n"
    )
    no_price = session.exec(select(Item).where(Item.external_id == "P2")).one()
    renderer = ReferenceRenderer("amazon", {no_price.id: no_price.title}, lambda _: no_price.features)
    assert renderer.option(no_price.id, T).splitlines()[1:3] == ["Category: All Beauty", "Price: NA"]


def test_mind_scene_is_the_mind_strategy_text_with_the_logged_history_first(engine, session, tmp_path):
    root = tmp_path / "mind"
    root.mkdir()
    (root / "behaviors.tsv").write_text(
        "1\tU1\t11/10/2019 9:00:00 AM\tN7 N8 N9\tN1-1 N2-0\n"
        "2\tU1\t11/12/2019 9:00:00 AM\tN7 N8 N9\tN2-1 N3-0\n"
        "3\tU1\t11/12/2019 11:30:00 AM\tN7 N8 N9\tN3-1 N1-0\n"
        "4\tU1\t11/12/2019 11:45:00 AM\tN7 N8 N9\tN5-0 N4-1 N6-0\n"
    )
    news = [
        ("N1", "sports", "Local team wins"),
        ("N2", "news", "Storm on the coast"),
        ("N3", "finance", "Rates go up"),
        ("N4", "lifestyle", "Ten soups for winter"),
        ("N5", "sports", "Coach resigns"),
        ("N6", "tv", "New season announced"),
        ("N7", "news", "Old story one"),
        ("N8", "music", "Old story two"),
        ("N9", "video", "Old story three"),
    ]
    (root / "news.tsv").write_text("".join(f"{k}\t{c}\tsub\t{t}\tabstract\turl\t[]\t[]\n" for k, c, t in news))
    ingest(engine=engine, name="mind", fmt="mind", path=root, min_interactions=1)
    # 5 entries drawn, 3 earlier clicks: the last 2 of the logged history come first, reading "earlier"
    build(engine, "mind", history_min=5, history_max=5, max_exposure=3)
    scene = only_scene(session)
    assert scene.item_pos == 1  # the real impression list, in the order shown
    assert turn(scene) == (
        "# User Profile\n"
        "\n"
        "\n"
        "## History\n"
        "Old story two (Category: music) { Viewed earlier }\n"
        "\n"
        "Old story three (Category: video) { Viewed earlier }\n"
        "\n"
        "Local team wins (Category: sports) { Viewed 2 days ago }\n"
        "\n"
        "Storm on the coast (Category: news) { Viewed 2 hours ago }\n"
        "\n"
        "Rates go up (Category: finance) { Viewed 15 minutes ago }\n"
        "\n"
        "\n"
        "# Exposure List\n"
        "[A] Coach resigns (Category: sports)\n"
        "\n"
        "[B] Ten soups for winter (Category: lifestyle)\n"
        "\n"
        "[C] New season announced (Category: tv)\n"
        "\n"
    )
    assert len(scene.history_item_ids) == 5


def test_books_tweets_and_unified_follow_the_closest_layout():
    book = {"authors": "Suzanne Collins", "year": 2008, "average_rating": 4.34, "ratings_count": 4780653}
    book["tags"] = ["young-adult", "dystopia"]
    books = ReferenceRenderer("goodbooks", {1: "The Hunger Games"}, lambda _: book)
    assert books.option(1, T) == (
        "Title:The Hunger Games (['young-adult', 'dystopia']) \nAuthor: Suzanne Collins\n"
        "Published at 2008 - NA - NA pages\nRating: 4.34 - 4780653 ratings\n"
    )
    assert books.history(1, {"rating": 4}, T - DAY, T) == (
        "A book viewed earlier\nTitle:The Hunger Games (['young-adult', 'dystopia']) \nDescription: \n"
        "Author: Suzanne Collins\nPublished at 2008 - NA - NA pages\nRating: 4.34 - 4780653 ratings\n"
        "My Behavior: Read\nRating: 4.0\n"
    )
    tweets = ReferenceRenderer("movietweetings", {1: "Heat (1995)"}, lambda _: {"genres": ["Crime"], "year": 1995})
    assert tweets.profile({}) == ""
    assert tweets.history(1, {"rating": 8}, T - 2 * DAY, T) == (
        "A movie viewed 2 days ago\nHeat (1995) Crime \nMy Behavior:\nRating: 8.0/10.0\n"
    )
    assert tweets.option(1, T) == "Heat (1995) - Crime \n"
    unified = ReferenceRenderer("unified", {1: "Thing"}, lambda _: {"colour": "red", "tags": ["a", "b"]})
    assert unified.profile({"age": 30}) == "## User Profile\nage: 30\n"
    assert unified.profile({}) == ""
    assert unified.option(1, T) == "Thing\ncolour: red\ntags: a, b\n"
    assert unified.history(1, {"rating": 5}, T - 90, T) == (
        "An item viewed 1 minute ago\nThing\ncolour: red\ntags: a, b\nMy Behavior:\nrating: 5\n"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (59, "just now"),
        (60, "1 minute ago"),
        (7199, "1 hour ago"),
        (2 * DAY, "2 days ago"),
        (30 * DAY, "1 month ago"),
        (364 * DAY, "12 months ago"),
        (365 * DAY, "1 year ago"),
        (800 * DAY, "2 years ago"),
    ],
)
def test_time_ago_is_format_time_diff(seconds, text):
    assert time_ago(seconds) == text


def test_truncate_words():
    assert truncate_words("a b c", 3) == "a b c"
    assert truncate_words("a b c d", 3) == "a b c..."
    assert truncate_words("", 3) == ""


def test_studio_style_keeps_the_templates_and_an_unknown_style_exits_2(engine, session, tmp_path, capsys):
    root = tmp_path / "ml"
    root.mkdir()
    (root / "users.dat").write_text("1::M::25::12::55117\n")
    (root / "movies.dat").write_text("".join(f"{k}::Film {k} (1990)::Drama\n" for k in range(1, 7)))
    (root / "ratings.dat").write_text("".join(f"1::{k}::4::{T - (6 - k) * DAY}\n" for k in range(1, 5)))
    ingest(engine=engine, name="ml", fmt="movielens", path=root, min_interactions=1)
    assert main(["scenes", "--dataset", "ml", "--count", "1", "--prompt-style", "paper"]) == 2
    assert capsys.readouterr().err == "error: unknown prompt style 'paper'; use one of: reference, studio\n"
    assert session.exec(select(Scene)).all() == []
    assert main(["scenes", "--dataset", "ml", "--count", "1", "--prompt-style", "studio", "--scorers", "random"]) == 0
    scene = only_scene(session)
    assert scene.prompt_style == "studio"
    assert scene.profile.startswith("Gender: male; Age: 25-34; Occupation: programmer")
