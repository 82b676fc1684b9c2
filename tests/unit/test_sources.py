"""The sources table (seeds/sources.yaml and hand-made ones) and reader comments in the ledger."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alliance_sim import evidence as ev
from alliance_sim.errors import InputError
from alliance_sim.evidence.sources import citation, format_date, inside, load_sources

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


# --- The real table -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger() -> ev.Ledger:
    return ev.load_ledger(SEEDS / "evidence.yaml")


def test_every_article_in_seeds_has_a_source() -> None:
    table = load_sources(SEEDS / "sources.yaml")
    assert set(table.articles) == {p.name for p in SEEDS.glob("*.txt")}


def test_every_article_item_shows_a_citation_not_a_file_name(ledger: ev.Ledger) -> None:
    for item in ledger.items:
        assert item.citation, item.id
        assert ".txt" not in item.attribution, item.id


def test_stated_fields_are_plain_and_inferred_ones_in_brackets() -> None:
    table = load_sources(SEEDS / "sources.yaml")
    lauras = table.articles["004_3ae21a45b85fb992.txt"].as_dict()
    assert lauras["author"] == "Didier Lauras"  # "By Didier Lauras" in the text
    assert lauras["title"].startswith("Internal dissent in the military alliance")
    assert lauras["outlet"] == "[outlet not named]"
    assert lauras["date"] == "[November 2022]"
    assert "Yerevan" in lauras["inferred"]["date"]
    massis = table.articles["002_4c38c914c89148db.txt"]
    assert massis.citation() == "[Massis Post], [untitled], [2023]"
    assert "MassisPost" in massis.as_dict()["inferred"]["outlet"]


def test_an_inferred_outlet_rests_on_words_that_are_in_the_article() -> None:
    # The table quotes the text it infers from; those words must be there.
    table = load_sources(SEEDS / "sources.yaml")
    for name, article in table.articles.items():
        text = ev.normalise_quote((SEEDS / name).read_text(encoding="utf-8"))
        for basis in article.as_dict()["inferred"].values():
            for quoted in basis.split('"')[1::2]:
                assert ev.normalise_quote(quoted) in text, (name, quoted)


def test_reader_comments_are_marked_and_weak(ledger: ev.Ledger) -> None:
    readers = [item for item in ledger.items if "reader's comment" in item.note]
    assert len(readers) == 4
    assert all(item.kind == "reader_comment" for item in readers)
    assert {item.id for item in ledger.items if item.kind == "reader_comment"} == {item.id for item in readers}
    for item in readers:
        assert item.attribution.startswith("reader comment under [Massis Post]")
        assert all(c.strength == "weak" for c in item.claims if c.kind == "direction")


def test_evidence_text_names_sources_and_marks_reader_comments(ledger: ev.Ledger) -> None:
    text = ev.format_ledger(ledger, actor="belarus")
    assert "from: reader comment under [Massis Post], [untitled], [2023]" in text
    assert "from: [AFP report (publishing outlet not named)], [untitled], [November 2022]" in text
    assert "002_4c38c914c89148db.txt" not in text
    assert "[square brackets]: inferred" in text


def test_dates_read_as_words() -> None:
    assert format_date("2022-11") == "November 2022"
    assert format_date("2031-03-05") == "5 March 2031"
    assert format_date("2023") == "2023"


def test_paths_must_stay_inside_the_folder() -> None:
    assert inside("articles/a.txt") and inside("a.txt")
    for bad in ("../a.txt", "/etc/passwd", "articles//a.txt", "a\\b.txt", "./a.txt", "C:a.txt"):
        assert not inside(bad), bad


# --- Hand-made ledgers and tables -----------------------------------------------------------

ARTICLE = "The alliance sent troops within days.\nA reader wrote: they will never help us.\n"


def write_case(
    tmp_path: Path,
    *,
    items: list[dict[str, Any]] | None = None,
    sources: dict[str, Any] | None = None,
    article: str = "articles/a.txt",
) -> Path:
    (tmp_path / article).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / article).write_text(ARTICLE, encoding="utf-8")
    if sources is not None:
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources, sort_keys=False), encoding="utf-8")
    data = {
        "mapping": {"neutral_prior": 0.5, "steps": {"weak": 0.5, "moderate": 1.0, "strong": 2.0}},
        "items": items
        or [
            {
                "id": "troops",
                "source": article,
                "quote": "The alliance sent troops within days.",
                "date": "2022-01",
                "actors": ["russia"],
                "claims": [{"param": "actors.russia.capacity", "direction": "up", "strength": "strong"}],
            }
        ],
    }
    path = tmp_path / "evidence.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def table(**fields: Any) -> dict[str, Any]:
    entry = {"outlet": "Daily", "title": "Troops", "date": "2022-01"} | fields
    return {"articles": {"articles/a.txt": entry}}


def reader(strength: str = "weak", source: str = "articles/a.txt") -> dict[str, Any]:
    return {
        "id": "reader-never",
        "source": source,
        "kind": "reader_comment",
        "quote": "they will never help us.",
        "date": "2022-01",
        "actors": ["armenia"],
        "claims": [{"param": "actors.armenia.trust_prior", "direction": "down", "strength": strength}],
    }


def test_an_article_in_a_subfolder_is_cited_by_its_table_entry(tmp_path: Path) -> None:
    ledger = ev.load_ledger(write_case(tmp_path, sources=table(author="A. Writer")))
    ev.verify_quotes(ledger)
    assert ledger.items[0].citation == "Daily, “Troops” (by A. Writer), January 2022"


def test_without_a_table_the_file_name_is_the_citation(tmp_path: Path) -> None:
    ledger = ev.load_ledger(write_case(tmp_path))
    assert ledger.items[0].attribution == "articles/a.txt"
    assert ledger.articles == {}


def test_an_inferred_null_field_says_what_is_missing(tmp_path: Path) -> None:
    sources = table(
        outlet={"value": None, "inferred": "the text names no outlet"}, title={"value": None, "inferred": "no headline"}
    )
    ledger = ev.load_ledger(write_case(tmp_path, sources=sources))
    assert ledger.items[0].citation == "[outlet not named], [untitled], January 2022"
    assert citation(ledger.articles["articles/a.txt"].spec) == ledger.items[0].citation


def test_an_article_missing_from_the_table_is_refused_at_the_item(tmp_path: Path) -> None:
    sources = {"articles": {"articles/b.txt": {"outlet": "X", "title": "Y", "date": "2022"}}}
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "b.txt").write_text("other\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ev.load_ledger(write_case(tmp_path, sources=sources))
    assert caught.value.field == "items.0.source"
    assert "not in sources.yaml" in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ({"date": "November 2022"}, "articles.articles/a.txt.date", "YYYY"),
        ({"publisher": "X"}, "articles.articles/a.txt.publisher", ""),
        ({"outlet": {"value": "X"}}, "articles.articles/a.txt.outlet", ""),
    ],
)
def test_a_bad_table_entry_is_one_located_error(
    tmp_path: Path, entry: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        ev.load_ledger(write_case(tmp_path, sources=table(**entry)))
    text = str(caught.value)
    assert text.startswith(str(tmp_path / "sources.yaml") + ":"), text
    assert "\n" not in text and message in text
    assert caught.value.field is not None and caught.value.field.startswith("articles.articles/a.txt"), text


def test_a_table_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    sources = table()
    sources["articles"]["articles/gone.txt"] = {"outlet": "X", "title": "Y", "date": "2022"}
    with pytest.raises(InputError, match=re.escape("no article file 'articles/gone.txt'")):
        ev.load_ledger(write_case(tmp_path, sources=sources))


def test_a_reader_comment_is_marked_and_only_weak(tmp_path: Path) -> None:
    path = write_case(tmp_path, sources=table(), items=[reader()])
    item = ev.load_ledger(path).items[0]
    assert item.kind == "reader_comment"
    assert item.attribution == "reader comment under Daily, “Troops”, January 2022"
    with pytest.raises(InputError) as caught:
        ev.load_ledger(write_case(tmp_path, sources=table(), items=[reader("moderate")]))
    assert caught.value.field == "items.0.claims.0.strength"
    assert "weakest strength only (weak)" in str(caught.value)


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    item = reader() | {"kind": "rumour"}
    with pytest.raises(InputError) as caught:
        ev.load_ledger(write_case(tmp_path, items=[item]))
    assert caught.value.field == "items.0.kind"


def test_a_misquoted_article_names_file_line_and_item(tmp_path: Path) -> None:
    item = reader() | {"quote": "they will surely help us."}
    path = write_case(tmp_path, items=[item])
    with pytest.raises(InputError) as caught:
        ev.verify_quotes(ev.load_ledger(path))
    text = str(caught.value)
    assert text.startswith(f"{path}:")
    assert "'reader-never' is not in articles/a.txt" in text
    assert caught.value.line is not None
