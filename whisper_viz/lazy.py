"""Lazy exports for package `__init__` files, so `import whisper_viz` stays cheap (torch and numba load on first use)."""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """(__getattr__, __dir__) for a package whose names live in submodules: {name: "submodule"}.

    A name is imported from `package.submodule` the first time it is read, then kept in the package.
    """
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
