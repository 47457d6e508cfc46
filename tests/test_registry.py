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
