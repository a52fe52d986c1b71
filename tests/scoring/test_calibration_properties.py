"""Properties of the holdout draw and of calibration per account (hypothesis)."""

import math
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringModel
from scoring.attribution import Calibration, IntentAlert, Upgrade, calibrate
from scoring.holdouts import assign_groups, holdout_lift, is_held_out

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
MODEL = ScoringModel()
ACCOUNTS = [f"acct-{i}" for i in range(10_000)]
SALT = "calibration-properties"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


accounts = st.sampled_from(["a", "b", "c", "d", "e", "f"])
days = st.integers(min_value=0, max_value=400)
amounts = st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=0, max_value=1e6)  # "NaN" from a CRM
alerts = st.lists(st.builds(IntentAlert, accounts, days.map(ago), st.none() | days.map(ago)), max_size=12)
upgrades = st.lists(st.builds(Upgrade, accounts, days.map(ago), amounts, st.none() | st.sampled_from(["o1", "o2"])),
                    max_size=8)
tiers = st.dictionaries(accounts, st.sampled_from(["awareness", "consideration", "intent", None]))


def same(a: Calibration, b: Calibration) -> bool:
    return a == b


# --- holdouts -----------------------------------------------------------------------------------


def test_the_draw_is_pinned_across_runs_and_processes() -> None:
    # sha256 is not Python's salted hash(): these answers hold in every process, on every machine.
    assert [is_held_out("acme", e, 0.5, "holdout-1") for e in range(1, 9)] == [
        True, False, False, True, False, False, True, True]


@given(st.text(max_size=40), st.integers(min_value=0, max_value=10**6), st.floats(min_value=0, max_value=1),
       st.text(max_size=20))
def test_the_draw_is_the_same_on_every_call(account: str, episode: int, share: float, salt: str) -> None:
    assert is_held_out(account, episode, share, salt) == is_held_out(account, episode, share, salt)


@given(st.text(max_size=40), st.integers(min_value=0, max_value=10**6), st.floats(min_value=0, max_value=1),
       st.floats(min_value=0, max_value=1), st.text(max_size=20))
def test_a_larger_share_holds_out_everything_a_smaller_one_does(account: str, episode: int, low: float,
                                                                 high: float, salt: str) -> None:
    low, high = min(low, high), max(low, high)
    assert not is_held_out(account, episode, low, salt) or is_held_out(account, episode, high, salt)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.5))
def test_the_held_out_share_of_10000_accounts_is_within_2_points_of_the_configured_share(share: float) -> None:
    held = sum(is_held_out(account, 1, share, SALT) for account in ACCOUNTS)
    assert abs(held / len(ACCOUNTS) - share) <= 0.02


@given(st.lists(st.tuples(accounts, days.map(ago))), st.lists(st.tuples(accounts, days.map(ago))), st.randoms())
def test_groups_do_not_depend_on_order(plays: list, holds: list, rnd) -> None:  # type: ignore[no-untyped-def]
    expected = assign_groups(plays, holds)
    rnd.shuffle(plays)
    rnd.shuffle(holds)
    assert assign_groups(plays, holds) == expected
    played, held = expected
    assert not set(played) & set(held)
    lift = holdout_lift(played, held, [], 90, NOW)
    assert lift.played + lift.played_pending == len(played) and lift.held + lift.held_pending == len(held)


# --- calibration per account --------------------------------------------------------------------


@given(alerts, upgrades, tiers, st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=4))))
def test_repeating_alerts_changes_nothing(
    alert_list: list[IntentAlert], upgrade_list: list[Upgrade], tier_map: dict, repeats: list[tuple[int, int]]
) -> None:
    expected = calibrate(alert_list, upgrade_list, tier_map, MODEL, NOW)
    repeated = list(alert_list)
    for index, times in repeats:
        if alert_list:
            repeated += [alert_list[index % len(alert_list)]] * times
    assert same(calibrate(repeated, upgrade_list, tier_map, MODEL, NOW), expected)


@given(alerts, upgrades, tiers, st.randoms())
def test_calibration_does_not_depend_on_order(
    alert_list: list[IntentAlert], upgrade_list: list[Upgrade], tier_map: dict, rnd  # type: ignore[no-untyped-def]
) -> None:
    expected = calibrate(alert_list, upgrade_list, tier_map, MODEL, NOW)
    rnd.shuffle(alert_list)
    rnd.shuffle(upgrade_list)
    shuffled = list(tier_map.items())
    rnd.shuffle(shuffled)
    assert same(calibrate(alert_list, upgrade_list, dict(shuffled), MODEL, NOW), expected)


@given(alerts, upgrades)
def test_rates_are_shares_of_accounts(alert_list: list[IntentAlert], upgrade_list: list[Upgrade]) -> None:
    c = calibrate(alert_list, upgrade_list, {}, MODEL, NOW)
    assert c.judged_accounts + c.pending_accounts == c.alerted_accounts <= 6
    assert c.recalled_accounts + c.missed_accounts <= c.upgraded_accounts <= 6
    for rate in (c.false_positive_rate, c.recall, c.false_negative_rate):
        assert rate is None or 0 <= rate <= 1
    assert not math.isnan(c.influenced_revenue)  # a CRM's "NaN" or inf amount adds nothing
