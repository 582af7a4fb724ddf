"""Adapters on small files written in each public layout, plus the bundled MovieTweetings sample."""

import json
from pathlib import Path

from core.cli.main import main
from core.ingest import ingest
from core.templates import templates_for
from storage.dialect import json_number
from tests.factories import stored_rows

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def q(engine, sql: str) -> list[tuple]:
    return stored_rows(engine, sql)


def item(engine, external_id: str) -> tuple:
    (row,) = q(engine, f"SELECT title, release_ts, features FROM item WHERE external_id = '{external_id}'")
    return row[0], row[1], json.loads(row[2])


def user(engine, external_id: str) -> dict:
    (row,) = q(engine, f"SELECT features FROM \"user\" WHERE external_id = '{external_id}'")
    return json.loads(row[0])


def events(engine) -> list[tuple]:
    """(user, item, timestamp, features) in stored order."""
    sql = (
        'SELECT u.external_id, i.external_id, x.timestamp, x.features FROM interaction x JOIN "user" u '
        "ON u.id = x.user_id JOIN item i ON i.id = x.item_id ORDER BY x.id"
    )
    return [(u, i, t, json.loads(f)) for u, i, t, f in q(engine, sql)]


def test_bundled_movietweetings_sample_counts_with_default_min_5(engine, capsys):
    assert main(["ingest", "--dataset", "sample", "--format", "movietweetings", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ingested 'sample' (movietweetings): 503 users, 3,096 items, 4,614 interactions in ")
    assert out.rstrip().endswith(
        "dropped 3,291 users outside the interactions-per-user range and their 5,386 interactions"
    )
    assert q(engine, 'SELECT COUNT(*) FROM "user"') == [(503,)]
    assert q(engine, "SELECT COUNT(*) FROM item") == [(3096,)]
    assert q(engine, "SELECT COUNT(*) FROM interaction") == [(4614,)]
    assert item(engine, "0002844") == (
        "Fantômas - À l'ombre de la guillotine (1913)",
        -1798761600,
        {"genres": ["Crime", "Drama"], "year": 1913},
    )
    with engine.connect() as conn:
        rating = json_number(conn, column="features", key="rating")
    ratings = f"SELECT MIN({rating}), MAX({rating}), SUM({rating}) FROM interaction"
    assert q(engine, ratings) == [(1, 10, 33165)]  # checked against a plain-Python count of ratings.dat
    (fmt, templates) = q(engine, "SELECT format, templates FROM dataset")[0]
    assert fmt == "movietweetings"
    assert json.loads(templates) == templates_for("movietweetings")


def test_movielens_100k(engine, tmp_path):
    root = tmp_path / "ml-100k"
    root.mkdir()
    (root / "u.data").write_text("1\t2\t3\t881250949\n2\t1\t5\t881250950\n1\t1\t4\t881250900\n")
    (root / "u.user").write_text("1|24|M|technician|85711\n2|53|F|other|94043\n")
    flags_toy = "|".join(["0", "0", "0", "1", "1", "1"] + ["0"] * 13)
    flags_none = "|".join(["0"] * 19)
    body = (
        f"1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|{flags_toy}\n"
        f"2|Belle époque (1992)|01-Jan-1994||http://us.imdb.com/M/title-exact?Belle%20epoque|{flags_none}\n"
    )
    (root / "u.item").write_bytes(body.encode("latin-1"))
    report = ingest(engine=engine, name="ml", fmt="movielens", path=root, min_interactions=1)
    assert (report.users, report.items, report.interactions) == (2, 2, 3)
    assert user(engine, "1") == {"age": "18-24", "gender": "male", "occupation": "technician", "zip_code": "85711"}
    assert user(engine, "2") == {"age": "50-55", "gender": "female", "occupation": "other", "zip_code": "94043"}
    assert item(engine, "1") == (
        "Toy Story (1995)",
        788918400,
        {"genres": ["Animation", "Children's", "Comedy"], "year": 1995},
    )
    assert item(engine, "2") == ("Belle époque (1992)", 694224000, {"genres": [], "year": 1992})
    assert events(engine) == [
        ("1", "1", 881250900, {"rating": 4}),
        ("1", "2", 881250949, {"rating": 3}),
        ("2", "1", 881250950, {"rating": 5}),
    ]


def test_movielens_1m_latin1_with_codes_as_words(engine, tmp_path):
    root = tmp_path / "ml-1m"
    root.mkdir()
    (root / "ratings.dat").write_text("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n")
    (root / "users.dat").write_text("1::F::1::10::48067\n2::M::56::16::70072\n")
    movies = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Ça commence aujourd'hui (1999)::Drama|Comedy\n"
    (root / "movies.dat").write_bytes(movies.encode("latin-1"))
    report = ingest(engine=engine, name="ml1m", fmt="movielens", path=root, min_interactions=1)
    assert (report.users, report.items, report.interactions) == (2, 2, 3)
    assert user(engine, "1") == {
        "gender": "female",
        "age": "under 18",
        "occupation": "K-12 student",
        "zip_code": "48067",
    }
    assert user(engine, "2") == {"gender": "male", "age": "56+", "occupation": "self-employed", "zip_code": "70072"}
    assert item(engine, "661") == (
        "Ça commence aujourd'hui (1999)",
        915148800,
        {"genres": ["Drama", "Comedy"], "year": 1999},
    )
    assert [e[:3] for e in events(engine)] == [
        ("1", "1193", 978300760),
        ("1", "661", 978302109),
        ("2", "1193", 978298413),
    ]


def test_amazon_reviews_2023(engine, tmp_path):
    root = tmp_path / "amazon"
    root.mkdir()
    reviews = [
        {
            "rating": 5.0,
            "title": "Great",
            "text": "Loved it",
            "images": [],
            "asin": "B1",
            "parent_asin": "P1",
            "user_id": "AG1",
            "timestamp": 1588687728923,
            "helpful_vote": 2,
            "verified_purchase": True,
        },
        {
            "rating": 2.0,
            "title": "Meh",
            "text": "Too small",
            "images": [],
            "asin": "B2",
            "parent_asin": "P2",
            "user_id": "AG1",
            "timestamp": 1588600000000,
            "helpful_vote": 0,
            "verified_purchase": False,
        },
    ]
    meta = [
        {
            "main_category": "All Beauty",
            "title": "Lip balm",
            "average_rating": 4.5,
            "rating_number": 10,
            "features": ["SPF 15"],
            "description": ["Soft.", "Lasts long."],
            "price": 7.99,
            "images": [],
            "videos": [],
            "store": "Acme",
            "categories": ["Beauty", "Lips"],
            "details": {"Brand": "Acme"},
            "parent_asin": "P1",
            "bought_together": None,
        },
        {
            "main_category": "All Beauty",
            "title": "Comb",
            "average_rating": 3.9,
            "rating_number": 3,
            "features": [],
            "description": [],
            "price": "None",
            "images": [],
            "videos": [],
            "store": "Comby",
            "categories": [],
            "details": {},
            "parent_asin": "P2",
            "bought_together": None,
        },
    ]
    (root / "All_Beauty.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reviews))
    (root / "meta_All_Beauty.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta))
    report = ingest(engine=engine, name="amz", fmt="amazon", path=root, min_interactions=1)
    assert (report.users, report.items, report.interactions) == (1, 2, 2)
    assert item(engine, "P1") == (
        "Lip balm",
        None,
        {
            "main_category": "All Beauty",
            "categories": ["Beauty", "Lips"],
            "price": 7.99,
            "store": "Acme",
            "average_rating": 4.5,
            "rating_number": 10,
            "description": "Soft. Lasts long.",
            "features": ["SPF 15"],
        },
    )
    assert item(engine, "P2")[2]["price"] is None
    assert events(engine) == [
        (
            "AG1",
            "P2",
            1588600000,
            {
                "rating": 2.0,
                "review_title": "Meh",
                "review_text": "Too small",
                "helpful_vote": 0,
                "verified_purchase": False,
            },
        ),
        (
            "AG1",
            "P1",
            1588687728,
            {
                "rating": 5.0,
                "review_title": "Great",
                "review_text": "Loved it",
                "helpful_vote": 2,
                "verified_purchase": True,
            },
        ),
    ]


def test_mind_clicks_become_interactions_with_real_impressions(engine, tmp_path):
    root = tmp_path / "mind"
    root.mkdir()
    (root / "behaviors.tsv").write_text(
        "1\tU1\t11/11/2019 9:05:58 AM\tN9 N8\tN1-1 N2-0 N3-1\n"
        "2\tU2\t11/12/2019 1:00:00 PM\t\tN2-0 N3-0\n"
        "3\tU1\t11/13/2019 11:30:00 PM\tN9\tN2-1 N1-0\n"
    )
    news = "".join(
        f"N{k}\tnews\tsub{k}\tTitle {k}\tAbstract {k}\thttps://assets.msn.com/{k}\t[]\t[]\n" for k in (1, 2, 3)
    )
    (root / "news.tsv").write_text(news)
    report = ingest(engine=engine, name="mind", fmt="mind", path=root, min_interactions=1)
    assert (report.users, report.items, report.interactions, report.dropped_users) == (1, 3, 3, 1)
    assert user(engine, "U1") == {"history": ["N9", "N8"]}  # the logged history of the user's first row
    assert item(engine, "N2") == (
        "Title 2",
        None,
        {"category": "news", "subcategory": "sub2", "abstract": "Abstract 2"},
    )
    ids = dict(q(engine, "SELECT id, external_id FROM item"))
    got = q(
        engine,
        "SELECT i.external_id, x.timestamp, x.impressions FROM interaction x JOIN item i ON i.id = x.item_id "
        "ORDER BY x.id",
    )
    shown = [(i, t, [ids[k] for k in json.loads(imp)]) for i, t, imp in got]
    assert shown == [
        ("N1", 1573463158, ["N1", "N2", "N3"]),  # 2019-11-11 09:05:58 UTC
        ("N3", 1573463158, ["N1", "N2", "N3"]),
        ("N2", 1573687800, ["N2", "N1"]),  # 11:30 PM
    ]


def test_goodbooks_file_order_is_time_and_tags_are_top_counts(engine, tmp_path):
    root = tmp_path / "goodbooks"
    root.mkdir()
    (root / "ratings.csv").write_text("user_id,book_id,rating\n1,2,5\n2,1,3\n1,1,4\n")
    (root / "books.csv").write_text(
        "book_id,goodreads_book_id,best_book_id,work_id,books_count,isbn,isbn13,authors,original_publication_year,"
        "original_title,title,language_code,average_rating,ratings_count\n"
        "1,2767052,2767052,2792775,272,439023483,9.78043902348e+12,Suzanne Collins,2008.0,The Hunger Games,"
        '"The Hunger Games (The Hunger Games, #1)",eng,4.34,4780653\n'
        '2,3,3,4640799,491,439554934,9.78043955493e+12,"J.K. Rowling, Mary GrandPré",1997.0,'
        "Harry Potter and the Philosopher's Stone,Harry Potter and the Sorcerer's Stone,eng,4.44,4602479\n"
    )
    (root / "tags.csv").write_text("tag_id,tag_name\n1,to-read\n2,fantasy\n3,young-adult\n4,dystopia\n")
    (root / "book_tags.csv").write_text(
        "goodreads_book_id,tag_id,count\n2767052,1,900\n2767052,4,50\n2767052,3,70\n3,2,30\n"
    )
    report = ingest(engine=engine, name="gb", fmt="goodbooks", path=root, min_interactions=1)
    assert (report.users, report.items, report.interactions) == (2, 2, 3)
    assert item(engine, "1") == (
        "The Hunger Games (The Hunger Games, #1)",
        1199145600,
        {
            "authors": "Suzanne Collins",
            "year": 2008,
            "average_rating": 4.34,
            "ratings_count": 4780653,
            "tags": ["young-adult", "dystopia"],
        },
    )
    assert item(engine, "2")[2]["tags"] == ["fantasy"]
    start = 1_504_224_000
    assert events(engine) == [
        ("1", "2", start, {"rating": 5}),
        ("1", "1", start + 2, {"rating": 4}),
        ("2", "1", start + 1, {"rating": 3}),
    ]


def test_amazon_gzipped_files(engine, tmp_path):
    import gzip

    root = tmp_path / "amazon-gz"
    root.mkdir()
    review = {
        "rating": 4.0,
        "title": "t",
        "text": "x",
        "parent_asin": "P9",
        "user_id": "U9",
        "timestamp": 1600000000999,
    }
    meta = {"parent_asin": "P9", "title": "Mug", "main_category": "Home", "price": "12.50"}
    (root / "Home.jsonl.gz").write_bytes(gzip.compress((json.dumps(review) + "\n").encode()))
    (root / "meta_Home.jsonl.gz").write_bytes(gzip.compress((json.dumps(meta) + "\n").encode()))
    ingest(engine=engine, name="gz", fmt="amazon", path=root, min_interactions=1)
    assert item(engine, "P9") == ("Mug", None, {"main_category": "Home", "price": 12.5})
    assert [e[:3] for e in events(engine)] == [("U9", "P9", 1600000000)]
