"""The fixed verdict rule of the claims checklist."""
import math

from gift.claims import NOT_SUPPORTED, NOT_TESTABLE, PARTLY, SUPPORTED, Claim, Comparison, compare

NAN = math.nan


def c(m, s, bm, bs):
    return Comparison("x", m, s, bm, bs)


def test_outcome_uses_the_larger_seed_std_as_margin():
    assert c(50.0, 0.5, 49.0, 0.3).outcome == "win"
    assert c(50.0, 1.5, 49.0, 0.3).outcome == "tie"
    assert c(47.0, 0.5, 49.0, 1.0).outcome == "loss"
    assert c(NAN, 0, 49.0, 1.0).outcome == "missing"


def test_verdicts():
    assert Claim("a", "ch", [c(2, 0, 1, 0), c(3, 0, 1, 0)]).verdict == SUPPORTED
    assert Claim("a", "ch", [c(2, 0, 1, 0), c(1, 0, 1, 0)]).verdict == PARTLY
    assert Claim("a", "ch", [c(1, 0, 1, 0), c(0, 0, 1, 0)]).verdict == NOT_SUPPORTED
    assert Claim("a", "ch", [c(NAN, 0, 1, 0)]).verdict == NOT_TESTABLE
    assert Claim("a", "ch", []).verdict == NOT_TESTABLE
    # all made comparisons are wins but some are missing: not the full claim
    assert Claim("a", "ch", [c(2, 0, 1, 0), c(NAN, 0, 1, 0)]).verdict == PARTLY
    assert "1 of 1 comparisons are wins" in Claim("a", "ch", [c(2, 0, 1, 0), c(NAN, 0, 1, 0)]).evidence()


def test_compare_missing_results_is_not_computed():
    assert compare("gift vs kl", None, None).outcome == "missing"
    assert "not computed" in compare("gift vs kl", None, None).text()
