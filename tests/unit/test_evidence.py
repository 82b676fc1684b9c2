"""The evidence ledger: the real one (seeds/evidence.yaml) and small hand-made ones."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alliance_sim import evidence as ev
from alliance_sim.errors import InputError
from alliance_sim.scenario.config import ActorConfig
from alliance_sim.scenario.yamlio import read_yaml

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "seeds" / "evidence.yaml"
SCENARIO = ROOT / "scenarios" / "csto_2022.yaml"
DOCS = ROOT / "docs" / "calibration.md"
MEMBER_FIELDS = (
    "capacity",
    "dependence",
    "regime_security",
    "outside_option",
    "domestic_pressure",
    "sovereignty_cost",
    "war_exposure",
    "trust_prior",
    "coercion_exposure",
)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


# --- The real ledger --------------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger() -> ev.Ledger:
    return ev.load_ledger(LEDGER)


@pytest.fixture(scope="module")
def values(ledger: ev.Ledger) -> dict[str, ev.CalibratedValue]:
    return ev.calibrate(ledger)


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    data, _ = read_yaml(SCENARIO)
    return data


def test_real_ledger_has_at_least_30_items_with_unique_ids(ledger: ev.Ledger) -> None:
    ids = [item.id for item in ledger.items]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


def test_every_quote_of_the_real_ledger_is_verbatim(ledger: ev.Ledger) -> None:
    ev.verify_quotes(ledger)
    articles = [item for item in ledger.items if not ledger.is_data(item)]
    assert len(articles) >= 30
    assert all(item.quote for item in articles)


def test_the_real_ledger_matches_the_baseline_scenario(ledger: ev.Ledger, scenario: dict[str, Any]) -> None:
    ev.check_against(ledger, scenario, name=str(SCENARIO))


def test_every_actor_of_the_scenario_appears_in_the_evidence(ledger: ev.Ledger, scenario: dict[str, Any]) -> None:
    named = {actor for item in ledger.items for actor in item.actors}
    outside = {k for k, a in scenario["actors"].items() if a.get("kind") == "outside"}
    assert outside == {"azerbaijan", "turkey", "china", "west"}
    assert set(scenario["actors"]) <= named


def test_every_member_parameter_and_every_power_is_calibrated(
    values: dict[str, ev.CalibratedValue], scenario: dict[str, Any]
) -> None:
    members = [k for k, a in scenario["actors"].items() if a.get("kind", "member") == "member"]
    assert len(members) == 6
    missing = [f"actors.{m}.{f}" for m in members for f in MEMBER_FIELDS if f"actors.{m}.{f}" not in values]
    assert missing == []
    for actor_id in scenario["actors"]:
        power = values[f"actors.{actor_id}.power"]
        assert 0.0 < power.value <= 1.0
        assert power.method.startswith("data value")
    for actor_id in ("russia", "azerbaijan", "turkey", "china", "west"):
        assert f"actors.{actor_id}.offense" in values


def test_west_power_is_the_sum_of_four_cinc_values(values: dict[str, ev.CalibratedValue]) -> None:
    expected = 0.13305758 + 0.013378492 + 0.016592627 + 0.013423994
    assert values["actors.west.power"].value == pytest.approx(expected, rel=1e-12)


def test_every_event_of_the_scenario_has_support(ledger: ev.Ledger, scenario: dict[str, Any]) -> None:
    support = ev.event_support(ledger)
    event_ids = [e["id"] for e in scenario["events"]]
    assert len(event_ids) == 15
    assert [e for e in event_ids if f"events.{e}" not in support] == []
    assert all(len(ids) >= 1 for ids in support.values())


def test_every_hazard_of_the_scenario_has_a_calibrated_rate(
    values: dict[str, ev.CalibratedValue], scenario: dict[str, Any]
) -> None:
    hazard_ids = [h["id"] for h in scenario["hazards"]]
    assert len(hazard_ids) == 10
    for hazard_id in hazard_ids:
        rate = values[f"hazards.{hazard_id}.monthly_rate"]
        assert rate.method.startswith("rate:")
        assert 0.0 < rate.value < 0.2


def test_calibrated_values_are_in_bounds_and_traceable(
    ledger: ev.Ledger, values: dict[str, ev.CalibratedValue]
) -> None:
    assert len(values) >= 100
    known_ids = {item.id for item in ledger.items}
    for path, value in values.items():
        assert ev.check_bounds(path, value.value) is None, path
        if value.evidence_ids:
            assert set(value.evidence_ids) <= known_ids
        else:
            # Only an explicit prior, with its reason, may set a value without evidence.
            assert path in ledger.priors and ledger.priors[path].reason, path
            assert value.method.startswith("prior only")


def test_attack_severities_come_from_the_casualty_scale(values: dict[str, ev.CalibratedValue]) -> None:
    attack = values["events.azerbaijan_attack_2022_09.severity"]
    clash = values["events.kyrgyz_tajik_clash_2022_09.severity"]
    assert attack.value == pytest.approx(math.log(201) / math.log(6001))
    assert clash.value == pytest.approx(math.log(141) / math.log(6001))
    assert attack.evidence_ids == ("more-than-200-killed",)


def test_token_credit_counts_observers_as_mostly_refusal(values: dict[str, ev.CalibratedValue]) -> None:
    credit = values["model.trust.token_credit"]
    assert credit.value < 0.25
    assert "request-all-in-vain" in credit.evidence_ids


def test_reader_comment_is_only_ever_weak(ledger: ev.Ledger) -> None:
    readers = [item for item in ledger.items if item.id.startswith("reader-")]
    assert readers
    for item in readers:
        assert all(claim.strength == "weak" for claim in item.claims if claim.kind == "direction")


def test_outcome_items_carry_no_claims_and_say_why(ledger: ev.Ledger) -> None:
    outcomes = [item for item in ledger.items if not item.claims and "outcome" in item.note]
    assert {"different-path", "army-diversified"} <= {item.id for item in outcomes}
    # an item without claims either records an observed outcome or says why it moves nothing
    assert all(item.note for item in ledger.items if not item.claims)
    text = ev.format_ledger(ledger, actor="armenia")
    assert "different-path" in text and "an observed outcome" in text


def test_member_only_fields_are_claimed_for_members_only(ledger: ev.Ledger, scenario: dict[str, Any]) -> None:
    outside = {k for k, a in scenario["actors"].items() if a.get("kind") == "outside"}
    for item in ledger.items:
        for claim in item.claims:
            path = ev.parse_param(claim.param)
            if path.kind == "actor" and path.owner in outside:
                assert path.field not in ev.MEMBER_ONLY_FIELDS, claim.param


def test_docs_table_lists_every_calibrated_value(values: dict[str, ev.CalibratedValue]) -> None:
    from alliance_sim.evidence.doctable import members_of, render

    _, found, section = DOCS.read_text(encoding="utf-8").partition("## Every calibrated value")
    assert found
    assert "## Every calibrated value" + section == render(values, members_of(values)), (
        "run: python -m alliance_sim.evidence.doctable docs/calibration.md"
    )
    rows = re.findall(r"^\| `([^`]+)` \| ([0-9.e-]+) \| ([^|]*) \|$", section, re.M)
    table = {path: (value, ids.strip()) for path, value, ids in rows}
    assert set(table) == set(values)
    for path, value in values.items():
        shown, ids = table[path]
        # Three decimals; the small CINC shares with three significant digits instead.
        expected = f"{value.value:.3f}" if value.value >= 0.01 or value.value == 0 else f"{value.value:.3g}"
        assert shown == expected, path
        assert ids == (", ".join(value.evidence_ids) or "prior only"), path


# --- Hand-made ledgers ------------------------------------------------------------------

ARTICLE = (
    "The alliance sent troops within days.\n\n"
    "Armenia asked for help in September, but received only a promise to send observers.\n"
    "The minister said “it was all in vain” and Russia’s answer  came late.\n"
)
CSV = "stateabb,ccode,year,cinc,version\nARM,371,2016,0.00060002581,2021\nAZE,373,2016,0.0013708938,2021\n"


def item(
    item_id: str = "a",
    claims: list[dict[str, Any]] | None = None,
    quote: str | None = "Armenia asked for help in September",
    actors: tuple[str, ...] = ("armenia", "russia"),
    source: str = "000_test.txt",
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item_id, "source": source}
    if quote is not None:
        data["quote"] = quote
    data.update({"date": "2022-09", "actors": list(actors)})
    data["claims"] = claims or [{"param": "actors.armenia.trust_prior", "direction": "down", "strength": "moderate"}]
    return data


def write_ledger(
    tmp_path: Path,
    items: list[dict[str, Any]],
    priors: dict[str, Any] | None = None,
    with_data: bool = False,
) -> Path:
    (tmp_path / "000_test.txt").write_text(ARTICLE, encoding="utf-8")
    data: dict[str, Any] = {
        "mapping": {
            "neutral_prior": 0.5,
            "steps": {"weak": 0.5, "moderate": 1.0, "strong": 2.0},
            "scales": {"casualties": {"reference": 6000}},
        }
    }
    if priors:
        data["priors"] = priors
    if with_data:
        (tmp_path / "cinc.csv").write_text(CSV, encoding="utf-8")
        data["sources"] = {"cow": {"file": "cinc.csv", "citation": "Singer, Bremer and Stuckey (1972)"}}
    data["items"] = items
    path = tmp_path / "evidence.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def assert_located(error: InputError, path: Path, field: str, line: int | None = None) -> None:
    text = str(error)
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: {re.escape(field)}: \S", text), text
    assert error.field == field
    if line is not None:
        assert error.line == line, text


def test_direction_steps_add_in_logit_space(tmp_path: Path) -> None:
    claims = [
        {"param": "actors.armenia.dependence", "direction": "up", "strength": "strong"},
        {"param": "actors.armenia.dependence", "direction": "down", "strength": "weak"},
    ]
    path = write_ledger(tmp_path, [item(claims=claims)])
    result = ev.calibrate(ev.load_ledger(path))["actors.armenia.dependence"]
    assert result.value == pytest.approx(sigmoid(1.5), abs=1e-12)
    assert result.method == "logit steps +2.0 -0.5 from neutral prior 0.5"
    assert result.evidence_ids == ("a",)
    assert result.prior == 0.5


def test_claims_from_several_items_sum_and_list_every_id(tmp_path: Path) -> None:
    up = [{"param": "actors.armenia.dependence", "direction": "up", "strength": "moderate"}]
    path = write_ledger(tmp_path, [item("a", up), item("b", up)])
    result = ev.calibrate(ev.load_ledger(path))["actors.armenia.dependence"]
    assert result.value == pytest.approx(sigmoid(2.0))
    assert result.evidence_ids == ("a", "b")


def test_priors_exact_and_by_pattern(tmp_path: Path) -> None:
    claims = [
        {"param": "actors.armenia.dependence", "direction": "up", "strength": "moderate"},
        {"param": "actors.armenia.relations.russia.ties", "direction": "up", "strength": "weak"},
    ]
    priors = {
        "actors.armenia.dependence": {"value": 0.2, "reason": "low start"},
        "actors.*.relations.*.ties": {"value": 0.1, "reason": "ties start low"},
        "actors.russia.dependence": {"value": 0.0, "reason": "the hegemon"},
    }
    values = ev.calibrate(ev.load_ledger(write_ledger(tmp_path, [item(claims=claims)], priors)))
    assert values["actors.armenia.dependence"].value == pytest.approx(sigmoid(logit(0.2) + 1.0))
    assert values["actors.armenia.relations.russia.ties"].value == pytest.approx(sigmoid(logit(0.1) + 0.5))
    alone = values["actors.russia.dependence"]
    assert (alone.value, alone.evidence_ids) == (0.0, ())
    assert "the hegemon" in alone.method


def test_casualty_scale_is_logarithmic_and_capped(tmp_path: Path) -> None:
    claims = [
        {"param": "events.attack.severity", "count": 200, "scale": "casualties"},
        {"param": "hazards.attack.severity", "count": 20000, "scale": "casualties"},
    ]
    values = ev.calibrate(ev.load_ledger(write_ledger(tmp_path, [item(claims=claims)])))
    assert values["events.attack.severity"].value == pytest.approx(math.log(201) / math.log(6001))
    assert values["hazards.attack.severity"].value == 1.0


def test_rate_is_count_over_window_and_lists_also_items(tmp_path: Path) -> None:
    rate = [{"param": "hazards.attack.monthly_rate", "count": 2, "window_months": 24, "also": ["b"]}]
    items = [item("a", rate), item("b")]
    result = ev.calibrate(ev.load_ledger(write_ledger(tmp_path, items)))["hazards.attack.monthly_rate"]
    assert result.value == pytest.approx(2 / 24)
    assert result.evidence_ids == ("a", "b")


def test_two_rate_claims_on_one_hazard_are_refused(tmp_path: Path) -> None:
    rate = [{"param": "hazards.attack.monthly_rate", "count": 1, "window_months": 24}]
    path = write_ledger(tmp_path, [item("a", rate), item("b", rate)])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.1.claims.0.param")
    assert "exactly one" in str(caught.value)


def test_a_rate_above_one_breaks_the_bounds(tmp_path: Path) -> None:
    rate = [{"param": "hazards.attack.monthly_rate", "count": 30, "window_months": 24}]
    ledger = ev.load_ledger(write_ledger(tmp_path, [item(claims=rate)]))
    with pytest.raises(InputError, match="out of bounds"):
        ev.calibrate(ledger)


def test_event_support_is_separate_from_values(tmp_path: Path) -> None:
    claims = [{"param": "events.attack", "supports": "event"}]
    ledger = ev.load_ledger(write_ledger(tmp_path, [item("a", claims), item("b", claims)]))
    assert ev.event_support(ledger) == {"events.attack": ("a", "b")}
    assert "events.attack" not in ev.calibrate(ledger)


def test_data_values_are_checked_against_the_file(tmp_path: Path) -> None:
    good = item(
        "power",
        [{"param": "actors.armenia.power", "value": 0.00060002581, "row": "ARM 2016 cinc"}],
        quote="ARM,371,2016,0.00060002581,2021",
        actors=("armenia",),
        source="cow",
    )
    summed = item(
        "both",
        [
            {
                "param": "actors.azerbaijan.power",
                "value": 0.00060002581 + 0.0013708938,
                "row": "ARM+AZE 2016 cinc",
            }
        ],
        quote=None,
        actors=("azerbaijan",),
        source="cow",
    )
    ledger = ev.load_ledger(write_ledger(tmp_path, [good, summed], with_data=True))
    ev.verify_quotes(ledger)
    assert ev.calibrate(ledger)["actors.armenia.power"].value == 0.00060002581

    good["claims"][0]["value"] = 0.0007
    path = write_ledger(tmp_path, [good], with_data=True)
    with pytest.raises(InputError) as caught:
        ev.verify_quotes(ev.load_ledger(path))
    assert_located(caught.value, path, "items.0.claims.0.value")


def test_a_quote_changed_by_one_word_fails_at_its_line(tmp_path: Path) -> None:
    path = write_ledger(tmp_path, [item(quote="Armenia asked for aid in September")])
    ledger = ev.load_ledger(path)
    with pytest.raises(InputError) as caught:
        ev.verify_quotes(ledger)
    assert_located(caught.value, path, "items.0.quote", line_of(path, "quote:"))
    assert "'a'" in str(caught.value) and "000_test.txt" in str(caught.value)


def test_typographic_quotes_and_whitespace_do_not_matter(tmp_path: Path) -> None:
    quote = 'The minister said "it was all in vain" and\n   Russia\'s answer came late.'
    ev.verify_quotes(ev.load_ledger(write_ledger(tmp_path, [item(quote=quote)])))


def test_other_characters_do_matter(tmp_path: Path) -> None:
    path = write_ledger(tmp_path, [item(quote="The minister said - it was all in vain")])
    with pytest.raises(InputError):
        ev.verify_quotes(ev.load_ledger(path))


def test_unknown_strength_is_located(tmp_path: Path) -> None:
    claims = [{"param": "actors.armenia.dependence", "direction": "up", "strength": "huge"}]
    path = write_ledger(tmp_path, [item(claims=claims)])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims.0.strength", line_of(path, "strength: huge"))
    assert "unknown strength 'huge' (weak, moderate, strong)" in str(caught.value)


def test_duplicate_id_is_located(tmp_path: Path) -> None:
    path = write_ledger(tmp_path, [item("same"), item("same")])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.1.id")
    assert "duplicate id 'same'" in str(caught.value)


def test_unknown_param_field_is_located(tmp_path: Path) -> None:
    claims = [{"param": "actors.armenia.loyalty", "direction": "up", "strength": "weak"}]
    path = write_ledger(tmp_path, [item(claims=claims)])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims.0.param", line_of(path, "actors.armenia.loyalty"))
    assert "loyalty" in str(caught.value) and "trust_prior" in str(caught.value)


@pytest.mark.parametrize(
    "param",
    [
        "model.trust.token_credits",
        "model.morale.level",
        "events.attack.month",
        "hazards.attack.target",
        "army.size",
    ],
)
def test_other_bad_paths_are_refused(tmp_path: Path, param: str) -> None:
    path = write_ledger(tmp_path, [item(claims=[{"param": param, "direction": "up", "strength": "weak"}])])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims.0.param")


def test_value_and_direction_on_one_param_are_refused(tmp_path: Path) -> None:
    data = item(
        "power",
        [{"param": "actors.armenia.power", "value": 0.00060002581, "row": "ARM 2016 cinc"}],
        quote=None,
        actors=("armenia",),
        source="cow",
    )
    words = item("words", [{"param": "actors.armenia.power", "direction": "up", "strength": "weak"}])
    path = write_ledger(tmp_path, [data, words], with_data=True)
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.1.claims.0.param")
    assert "actors.armenia.power" in str(caught.value)


def test_unknown_source_file_is_located(tmp_path: Path) -> None:
    path = write_ledger(tmp_path, [item(source="999_missing.txt")])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.source", line_of(path, "999_missing.txt"))
    assert "000_test.txt" in str(caught.value)


def test_unknown_keys_and_bad_dates_are_located(tmp_path: Path) -> None:
    extra = item()
    extra["claims"][0]["weight"] = 3
    path = write_ledger(tmp_path, [extra])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims.0.weight")

    dated = item()
    dated["date"] = "2022-13"
    path = write_ledger(tmp_path, [dated])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.date")


def test_an_item_without_claims_needs_a_note(tmp_path: Path) -> None:
    bare = item()
    bare["claims"] = []
    path = write_ledger(tmp_path, [bare])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims")
    bare["note"] = "An observed outcome."
    assert ev.load_ledger(write_ledger(tmp_path, [bare])).items[0].claims == ()


def test_a_claim_must_name_actors_of_its_item(tmp_path: Path) -> None:
    claims = [{"param": "actors.turkey.offense", "direction": "up", "strength": "weak"}]
    path = write_ledger(tmp_path, [item(claims=claims)])
    with pytest.raises(InputError) as caught:
        ev.load_ledger(path)
    assert_located(caught.value, path, "items.0.claims.0.param")


def test_check_against_names_unknown_events_and_member_fields(tmp_path: Path) -> None:
    scenario = {
        "actors": {"armenia": {}, "russia": {}, "turkey": {"kind": "outside"}},
        "events": [{"id": "attack"}],
    }
    supports = item(claims=[{"param": "events.invasion", "supports": "event"}])
    path = write_ledger(tmp_path, [supports])
    with pytest.raises(InputError) as caught:
        ev.check_against(ev.load_ledger(path), scenario)
    assert_located(caught.value, path, "items.0.claims.0.param")
    assert "invasion" in str(caught.value) and "attack" in str(caught.value)

    outside = item(
        claims=[{"param": "actors.turkey.dependence", "direction": "up", "strength": "weak"}],
        actors=("turkey",),
    )
    with pytest.raises(InputError, match="members only"):
        ev.check_against(ev.load_ledger(write_ledger(tmp_path, [outside])), scenario)


# --- Printing and finding ---------------------------------------------------------------


def printed_ids(text: str) -> set[str]:
    return set(re.findall(r"^([a-z0-9-]+)  \d{4}-\d{2}", text, re.M))


def test_format_ledger_filters_by_actor(ledger: ev.Ledger) -> None:
    text = ev.format_ledger(ledger, actor="kyrgyzstan")
    expected = {item.id for item in ledger.items if "kyrgyzstan" in item.actors}
    assert expected and printed_ids(text) == expected
    assert printed_ids(ev.format_ledger(ledger)) == {item.id for item in ledger.items}


def test_format_ledger_with_param_shows_value_and_arithmetic(ledger: ev.Ledger) -> None:
    text = ev.format_ledger(ledger, param="actors.armenia.trust_prior")
    assert printed_ids(text) == {"russia-did-not-budge"}
    assert "actors.armenia.trust_prior = 0.2689" in text
    assert "sigmoid(logit(0.5) -1.0) = sigmoid(-1.000) = 0.269" in text
    assert '"Russia did not budge then either."' in text


def test_format_ledger_refuses_unknown_actor_and_param(ledger: ev.Ledger) -> None:
    with pytest.raises(InputError, match="armenia, azerbaijan, belarus"):
        ev.format_ledger(ledger, actor="georgia")
    with pytest.raises(InputError, match=r"actors\.armenia\.trust_prior"):
        ev.format_ledger(ledger, param="actors.armenia.trust_prio")


def test_find_ledger_walks_up_and_fails_cleanly(tmp_path: Path) -> None:
    assert ev.find_ledger(ROOT / "alliance_sim") == LEDGER
    with pytest.raises(InputError, match=r"seeds/evidence\.yaml"):
        ev.find_ledger(tmp_path)


def test_actor_fields_come_from_config() -> None:
    assert set(ev.ACTOR_FIELDS) == {f for f in ActorConfig.model_fields if f not in ("name", "kind", "relations")}
    assert set(ev.MEMBER_ONLY_FIELDS) == set(MEMBER_FIELDS) - {"capacity"}
