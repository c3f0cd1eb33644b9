"""A bounded memory of keys: what the pool and its lane remember of works, clients and workers that ended."""

from __future__ import annotations

import contextlib
from typing import Any

#: Keys remembered at most unless told (the oldest is forgotten first).
MOST = 256


class Remembered:
    """Keys (each with a value, if given) remembered in the order they came, at most ``most`` (the oldest is
    forgotten first); a key that cannot be hashed (a work with a list among its arguments) is never
    remembered."""

    def __init__(self, most: int = MOST) -> None:
        self.most = most
        self._keys: dict[Any, Any] = {}

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._keys
        except TypeError:
            return False

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key: object) -> Any:
        """The value remembered with ``key``, or None."""
        try:
            return self._keys.get(key)
        except TypeError:
            return None

    def add(self, key: object, value: Any = None) -> None:
        if len(self._keys) >= self.most:
            self._keys.pop(next(iter(self._keys)))
        with contextlib.suppress(TypeError):
            self._keys[key] = value

    def pop(self, key: object) -> Any:
        """Forget ``key``; the value it was remembered with, or None."""
        try:
            return self._keys.pop(key, None)
        except TypeError:
            return None

    def clear(self) -> None:
        self._keys.clear()
