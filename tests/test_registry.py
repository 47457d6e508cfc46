"""Registries resolve aliases themselves, so every entry point accepts the same spellings and a
config stores one canonical name (one stored run per computation)."""
import pytest

from gift.losses import LOSSES, get_loss
from gift.protocol import EvalConfig
from gift.registry import Registry


def test_an_alias_resolves_to_its_target_and_is_stored_canonically():
    assert LOSSES.canonical("softce") == "soft_ce" and "softce" in LOSSES
    assert type(get_loss("softce")) is type(get_loss("soft_ce"))
    assert EvalConfig(loss="softce").loss == "soft_ce"
    assert EvalConfig(loss="softce").to_dict() == EvalConfig(loss="soft_ce").to_dict()
    assert "softce" not in LOSSES.names()  # listed once, under its own name


def test_aliases_cannot_shadow_or_dangle():
    reg: Registry[int] = Registry("thing")
    reg.register("a")(1)
    reg.alias("b", "a")
    assert reg.get("b") == 1
    with pytest.raises(ValueError, match="already registered"):
        reg.alias("a", "a")
    with pytest.raises(ValueError, match="unregistered"):
        reg.alias("c", "missing")
    with pytest.raises(ValueError, match="valid thing names are: a"):
        reg.get("zzz")


def test_label_source_rules_for_a_run():
    from gift.protocol import EvalConfig
    from gift.train.labels import hard_if_no_teacher_needed, needs_teacher

    assert hard_if_no_teacher_needed(EvalConfig(loss="ce")).label_source == "hard"
    assert hard_if_no_teacher_needed(EvalConfig(loss="gift")).label_source == "auto"
    assert hard_if_no_teacher_needed(EvalConfig(loss="ce", label_source="teacher")).label_source == "teacher"
    assert needs_teacher(EvalConfig(loss="kl"), has_soft_labels=False)
    assert not needs_teacher(EvalConfig(loss="kl"), has_soft_labels=True)  # DATM: its learned labels
    assert needs_teacher(EvalConfig(loss="kl", label_source="teacher"), has_soft_labels=True)
    assert not needs_teacher(EvalConfig(loss="ce", label_source="hard"), has_soft_labels=False)
