"""The claims checklist's verdict scale, on comparisons judged by gift.stats."""
from gift.companion.claims import CONTRADICTED, MIXED, MOSTLY, NOT_TESTABLE, PENDING, SUPPORTED, Claim, verdict_of
from gift.stats import Comparison

UP = Comparison("up", (61.0, 61.2, 60.9, 61.1, 61.0), (60.0, 60.1, 59.9, 60.2, 60.0))
DOWN = Comparison("down", (59.0, 59.2, 58.9, 59.1, 59.0), (60.0, 60.1, 59.9, 60.2, 60.0))
FLAT = Comparison("flat", (60.0, 61.0, 59.0, 60.5, 59.5), (60.2, 59.4, 60.8, 59.9, 60.1))
MISSING = Comparison("missing", (), (60.0, 60.1, 59.9))


def test_each_comparison_gets_the_outcome_of_the_rule():
    assert [c.outcome for c in (UP, DOWN, FLAT, MISSING)] == ["win", "loss", "tie", "missing"]


def test_the_verdict_scale():
    assert Claim("a", "ch", [UP, UP]).verdict == SUPPORTED
    assert Claim("a", "ch", [UP, UP, MISSING]).verdict == SUPPORTED  # all *computed* comparisons win
    assert Claim("a", "ch", [UP, UP, DOWN, FLAT]).verdict == MOSTLY
    assert Claim("a", "ch", [UP, DOWN]).verdict == CONTRADICTED
    assert Claim("a", "ch", [DOWN, FLAT]).verdict == CONTRADICTED
    assert Claim("a", "ch", [UP, DOWN, DOWN, FLAT, FLAT, FLAT, FLAT]).verdict == CONTRADICTED
    assert Claim("a", "ch", [FLAT, FLAT]).verdict == MIXED
    assert Claim("a", "ch", [MISSING]).verdict == PENDING  # queued, none computed yet
    assert Claim("a", "ch", []).verdict == NOT_TESTABLE


def test_one_win_and_seven_losses_is_not_reported_like_three_wins_and_one_loss():
    assert verdict_of({"win": 1, "tie": 1, "loss": 7, "missing": 0}) == CONTRADICTED
    assert verdict_of({"win": 3, "tie": 0, "loss": 1, "missing": 0}) == MOSTLY


def test_a_claim_reports_counts_and_median_effect():
    claim = Claim("a", "ch", [UP, DOWN, FLAT, MISSING])
    assert claim.wtl() == "1/1/1"
    assert "1 not computed" in claim.evidence()
    med, lo, hi = claim.median_effect()
    assert med == FLAT.delta and (lo, hi) == FLAT.interval


def test_noise_alone_calls_each_comparison_at_most_five_percent_of_the_time():
    from gift.stats import null_outcomes

    one = [(("gift", 5), ("kl", 5))]
    wins, losses = null_outcomes(one, sims=40000)
    assert 0.015 < wins.mean() < 0.035 and 0.015 < losses.mean() < 0.035 and (wins + losses).mean() <= 0.05
    again = null_outcomes(one, sims=40000)
    assert (again[0] == wins).all()  # seeded: the same numbers on every render


def test_comparisons_sharing_an_arm_are_simulated_sharing_it():
    from gift.stats import null_outcomes

    # GIFT against eight losses on one set: a lucky GIFT draw wins several of them at once
    shared = [(("gift", 5), (f"loss{k}", 5)) for k in range(8)]
    apart = [((f"gift{k}", 5), (f"loss{k}", 5)) for k in range(8)]
    p_shared, p_apart = ((null_outcomes(c)[0] >= 2).mean() for c in (shared, apart))
    assert p_shared > 2 * p_apart


def test_the_chance_column_separates_collected_false_calls_from_real_ones():
    import math

    from gift.companion.claims import chance_text

    # one loss among 24 independent comparisons is what noise gives about 4 times in 10
    flats = [Comparison(f"flat{k}", tuple(v + 0.01 * k for v in FLAT.values), tuple(v - 0.01 * k for v in FLAT.base_values))
             for k in range(23)]
    noisy = Claim("a", "ch", [DOWN] + flats)
    assert noisy.verdict == CONTRADICTED and 0.3 < noisy.chance() < 0.6
    # two losses among four, or two wins of two, are rare under noise
    assert Claim("a", "ch", [DOWN, Comparison("down2", DOWN.values, (60.1, 60.0, 59.9, 60.2, 60.1)), *flats[:2]]).chance() < 0.01
    up2 = Comparison("up2", tuple(v + 0.05 for v in UP.values), (59.9, 60.0, 60.1, 60.0, 59.8))
    assert chance_text(Claim("a", "ch", [UP, up2])) == "< 0.1%"
    # the same two runs compared twice are no more evidence than once
    # and one comparison collects nothing: its own p-value is the whole story, so no chance is shown
    assert chance_text(Claim("a", "ch", [UP, UP])) == chance_text(Claim("a", "ch", [UP])) == "—"
    # nothing to weigh: a mixed claim, an untestable one
    assert math.isnan(Claim("a", "ch", [FLAT, FLAT]).chance()) and chance_text(Claim("a", "ch", [MISSING])) == "—"


def test_noise_alone_contradicts_a_large_claim_often():
    from gift.companion.claims import noise_contradicts

    # each comparison is a false loss at most 2.5% of the time (Welch is a little conservative at
    # 5 seeds); n independent comparisons collect them: at least one loss 1 - (1 - p)^n of the time,
    # and "contradicted" a little less often (the draws where false wins outnumber the false losses)
    one = noise_contradicts(1)
    any_loss = 1 - (1 - one) ** 24
    assert 0.015 < one <= 0.025 and 0.3 < noise_contradicts(24) < any_loss


def test_forest_wraps_claim_headings_and_keeps_small_intervals_readable():
    import matplotlib

    matplotlib.use("Agg")
    from gift.companion.plots import forest

    far = Comparison("far", (90.0, 90.2, 90.1, 90.0, 90.3), (60.0, 60.1, 60.2, 60.0, 60.1))
    long_claim = "Control: the KL collapse is caused by the loss, not by its 1/T^2 gradient scale, under SGD and Adam"
    ax = forest([Claim(long_claim, "ch", [UP, far])])
    heading = ax.get_yticklabels()[0].get_text()
    assert "\n" in heading and heading.replace("\n", " ") == long_claim.upper()  # wrapped, nothing cut
    assert ax.get_xscale() == "symlog"  # a +30 difference does not flatten the 1-point ones
    assert forest([Claim("c", "ch", [UP])]).get_xscale() == "linear"


def test_median_seed_std_counts_each_arm_once_and_skips_missing_ones():
    import math

    from gift.companion.claims import median_seed_std

    shared = (60.0, 61.0, 62.0)  # std 1.0, behind two comparisons: one arm, counted once
    claim = Claim("x", "here", [Comparison("a", shared, (50.0, 50.0, 53.0)),  # std sqrt(3)
                                Comparison("b", shared, (40.0, 40.2, 40.4)),  # std 0.2
                                Comparison("c")])  # not computed
    assert math.isclose(median_seed_std([claim]), 1.0)  # median of (0.2, 1.0, 1.73), not of four arms
    assert math.isnan(median_seed_std([Claim("y", "here", [Comparison("c")])]))


def test_no_chance_is_simulated_for_comparisons_related_beyond_shared_runs():
    up = [Comparison(f"u{k}", tuple(61.0 + 0.1 * s + k for s in range(5)), (60.0, 60.1, 59.9, 60.2, 60.0)) for k in range(3)]
    assert Claim("a", "ch", up).chance(sims=2000) < 0.01
    import math

    assert math.isnan(Claim("a", "ch", up, distinct_runs=False).chance(sims=2000))  # GDumb steps: nested data
