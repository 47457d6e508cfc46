"""A tiny name -> factory registry, so losses, models, optimizers and distillers are looked up by
name instead of by if-chains, and unknown names fail with the list of valid ones."""
from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@LOSSES.register("gift")``. Registering a name twice is a bug, not an override."""

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return add

    def alias(self, name: str, target: str) -> None:
        """Accept ``name`` as another spelling of the registered ``target`` (e.g. the authors'
        ``softce`` for ``soft_ce``); :meth:`canonical` maps it back, so configs store one name."""
        if target not in self._items:
            raise ValueError(f"cannot alias {name!r} to unregistered {self.kind} {target!r}")
        if name in self._items or name in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._aliases[name] = target

    def canonical(self, name: str) -> str:
        """The registered name that ``name`` spells (itself, or an alias's target)."""
        return self._aliases.get(name, name)

    def get(self, name: str) -> T:
        try:
            return self._items[self.canonical(name)]
        except KeyError:
            raise ValueError(
                f"unknown {self.kind} {name!r}; valid {self.kind} names are: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
