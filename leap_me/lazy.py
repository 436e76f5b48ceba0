"""Modules imported on first use, so that starting the application (every gunicorn worker,
every CLI call) does not pay for pandas and numpy until a page needs them."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._real: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr == "_real":
            raise AttributeError(attr)
        if self._real is None:
            self._real = importlib.import_module(self.__name__)
        return getattr(self._real, attr)


pandas = LazyModule("pandas")
numpy = LazyModule("numpy")
