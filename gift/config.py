"""Configs are dataclasses that reject unknown keys, so a typo in a sweep never silently runs the
default setting; and the stable hashes that name configs, tensors and weights in stored results."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from typing import Any, Mapping, TypeVar

C = TypeVar("C")


def config_from_dict(cls: type[C], values: Mapping[str, Any]) -> C:
    """Build dataclass ``cls`` from a mapping; unknown keys are an error that lists the valid ones."""
    _refuse_unknown(cls, values)
    return cls(**dict(values))


def strict_keywords(cls: type[C]) -> type[C]:
    """Class decorator (above ``@dataclass``): a keyword the config does not have is a ValueError
    listing the valid ones, as :func:`config_from_dict` gives, instead of Python's bare TypeError,
    so ``EvalConfig(gama=0.1)`` says what was meant."""
    init = cls.__init__

    @functools.wraps(init)
    def checked(self, *args: Any, **kwargs: Any) -> None:
        _refuse_unknown(cls, kwargs)
        init(self, *args, **kwargs)

    cls.__init__ = checked
    return cls


def _refuse_unknown(cls: type, values: Mapping[str, Any]) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} key(s) {unknown}; valid keys are: {', '.join(names)}"
        )


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a (possibly nested) dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=_jsonable))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def config_hash(obj: Mapping[str, Any], length: int = 16) -> str:
    """Stable hash of a JSON-ready mapping (sorted keys), used as the key of a stored result."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def tensor_fingerprint(*tensors, length: int = 16) -> str:
    """sha256 of the raw bytes of the given tensors (None skipped): how a set is named by content."""
    return _sha256((None, t) for t in tensors if t is not None)[:length]


def state_fingerprint(module, length: int = 16) -> str:
    """sha256 of a module's state, each entry's name then its raw bytes in name order: how a teacher
    is named (:func:`gift.teachers.teacher_id`, :func:`gift.teachers.teacher_name`)."""
    return _sha256(sorted(module.state_dict().items()))[:length]


def _sha256(items) -> str:
    h = hashlib.sha256()
    for name, tensor in items:
        if name is not None:
            h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
