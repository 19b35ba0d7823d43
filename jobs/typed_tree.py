"""A parsed YAML tree as typed, frozen dataclasses: key and type checks with `ConfigError`.

`build(cls, tree)` walks the dataclass fields' type hints (nested dataclasses, `X | None`,
`dict[str, X]`, `list[X]`, bool/int/float/str), so that an unknown, missing or mistyped key fails
with an error naming its dotted path. It knows nothing of sway's settings (jobs/config.py does).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

_SKIP = "typed_tree.skip"
# Field metadata for a field that build() neither reads from the tree nor accepts in it.
NOT_IN_TREE = {_SKIP: True}


class ConfigError(ValueError):
    """A config file or `--set` override is invalid; the message names the key."""


def build(cls: type, data: Any, path: str = "") -> Any:
    """An instance of the dataclass `cls` from the mapping `data` (recursively, type-checked).

    Every field must be present and no other key may be; fields marked NOT_IN_TREE are left out.
    `path` is the dotted key of `data` in the whole tree, for the error messages.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if not f.metadata.get(_SKIP)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown config key {_join(path, unknown[0])!r}")
    missing = sorted(names - set(data))
    if missing:
        raise ConfigError(f"missing config key {_join(path, missing[0])!r}")
    values = {name: _coerce(hints[name], data[name], _join(path, name)) for name in names}
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, path)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path} must be a mapping, got {value!r}")
        return {str(k): _coerce(args[1], v, f"{path}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{path} must be a list, got {value!r}")
        return [_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, dict | list) or value is None:
            raise ConfigError(f"{path} must be a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{path}: unsupported type {hint}")  # pragma: no cover


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
