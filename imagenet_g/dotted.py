"""Parsed JSON or YAML (nested dicts) as flat ``a.b.c`` keys, the names ``--set`` and error messages use."""

from __future__ import annotations

from collections.abc import Mapping


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
