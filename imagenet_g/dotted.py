"""Parsed JSON or YAML (nested dicts) as flat ``a.b.c`` keys, the names ``--set`` and error messages use, and every
string in it at such a location."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Every leaf of nested dicts under its dotted key, below ``prefix`` when one is given (``"mix"`` gives
    ``mix.sources``); a list is a leaf."""
    if isinstance(value, dict):
        flat: dict[str, object] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def differences(a: Mapping[str, object], b: Mapping[str, object]) -> dict[str, tuple[object, object]]:
    """``key -> (value in a, value in b)`` for each key of two flat mappings whose values differ (None where a
    mapping lacks the key), by key."""
    return {key: (a.get(key), b.get(key)) for key in sorted(a.keys() | b.keys()) if a.get(key) != b.get(key)}


def strings(value: object, where: str = "", name: Callable[[object], str] = str) -> Iterator[tuple[str, str]]:
    """``(dotted location, text)`` for every string in parsed JSON or YAML, depth first, a dict key (at its own
    location) before its value; locations start at ``where`` when given, and ``name`` writes a key in them (a
    caller may hide one that is not fit to print)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{name(key)}" if where else name(key)
            yield from strings(key, inner, name)
            yield from strings(item, inner, name)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from strings(item, f"{where}.{i}" if where else str(i), name)
