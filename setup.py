"""Build: the matcher's hot modules are compiled with mypyc (about a third faster a message).

The build records a hash of each source it compiled (faq/native_build.json): faq/__init__.py
refuses a compiled module whose source has changed since, since it would run the old code.
SUPPORTBOT_PURE_PYTHON=1 at install compiles nothing, which suits editing those modules. Without
a C compiler the build falls back to pure Python too; `supportbot serve` logs which one runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from setuptools import Extension, setup

COMPILED = ["faq/normalize.py", "faq/analyzer.py", "faq/index.py", "faq/phrasings.py", "faq/matcher.py"]
RECORD = Path("faq/native_build.json")


def extensions() -> list[Extension]:
    """The compiled modules, or none when pure Python is asked for, with their record."""
    pure = bool(os.environ.get("SUPPORTBOT_PURE_PYTHON"))
    sources = {} if pure else {Path(p).name: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in COMPILED}
    RECORD.write_text(json.dumps(sources, indent=1, sort_keys=True) + "\n")
    if pure:
        return []
    from mypyc.build import mypycify

    built = mypycify(COMPILED, opt_level="3")
    for extension in built:
        extension.optional = True  # no C compiler: the sources run, as logged at start-up
    return built


setup(ext_modules=extensions())
