"""A small least-recently-used store of answers, shared by a worker's threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class Recent:
    """The answers to the latest questions, at most `size` of them; safe between threads.

    Answers are shared between requests: callers read them and never change them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key not in self._kept:
                return None
            self._kept.move_to_end(key)
            return self._kept[key]

    def put(self, key: tuple, answer: Any) -> None:
        with self._lock:
            self._kept[key] = answer
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
