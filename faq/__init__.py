"""The knowledge and the matcher: text in, ranked entries out. Pure and synchronous.

The matcher's hot modules are compiled with mypyc at install (setup.py). Python imports a compiled
module in place of its source, so one built from another version of the source would quietly run
old code: importing stops instead, and says how to rebuild.
"""

from __future__ import annotations

import hashlib
import json
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

_HERE = Path(__file__).parent


def _outdated_builds() -> list[str]:
    """The sources of this package whose compiled module was not built from them as they are."""
    try:
        recorded = json.loads((_HERE / "native_build.json").read_text())
    except (OSError, ValueError):
        recorded = {}
    outdated = set()
    for suffix in EXTENSION_SUFFIXES:
        for built in _HERE.glob("*" + suffix):
            source = _HERE / (built.name.removesuffix(suffix) + ".py")
            if source.is_file() and recorded.get(source.name) != hashlib.sha256(source.read_bytes()).hexdigest():
                outdated.add(source.name)
    return sorted(outdated)


if outdated := _outdated_builds():
    raise ImportError(
        f"faq: the compiled modules were built from other sources than {', '.join(outdated)}: rebuild with `pip install -e .`, "
        "or delete faq/*.so to run the sources (SUPPORTBOT_PURE_PYTHON=1 at install compiles nothing)"
    )


def native() -> bool:
    """Whether the matcher runs compiled rather than from its Python source."""
    from faq import matcher

    return not matcher.__file__.endswith(".py")
