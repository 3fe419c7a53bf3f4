"""Small bounded caches, per process, of what is keyed by what makes it change (a case's
version, the latest event anywhere, the China date): rendered pages, and values worked out from
many rows. All are emptied together for a database emptied under a running process (tests),
where ids start again and a value keyed by them could come back."""
from collections import OrderedDict

_every: list["LRU"] = []


class LRU:
    def __init__(self, maxsize: int):
        self.maxsize, self._data = maxsize, OrderedDict()
        _every.append(self)

    def clear(self) -> None:
        self._data.clear()

    def get(self, key):
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)


def forget_all() -> None:
    for lru in _every:
        lru.clear()
