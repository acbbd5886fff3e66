"""The knowledge and the matcher: text in, ranked entries out. Pure and synchronous.

The matcher's hot modules are compiled with mypyc at install (setup.py). Python imports a compiled
module in place of its source, so one built from another version of the source, or by another
build, would quietly run other code: importing stops instead, and says how to rebuild. The build's
record (native_build.json) vouches for each source it compiled and each file it made.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
from pathlib import Path

_HERE = Path(__file__).parent


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unvouched_builds() -> list[str]:
    """The compiled modules here (and mypyc's library of them) that the build's record does not
    vouch for, as built from the sources beside them by the build that wrote it."""
    compiled = {
        source: built
        for suffix in EXTENSION_SUFFIXES
        for built in _HERE.glob("*" + suffix)
        if (source := _HERE / (built.name.removesuffix(suffix) + ".py")).is_file()
    }
    if not compiled:
        return []
    try:
        record = json.loads((_HERE / "native_build.json").read_text())
        sources, made, shared = dict(record["sources"]), dict(record["built"]), list(record["shared"])
    except (OSError, ValueError, KeyError, TypeError):
        return sorted(source.name for source in compiled)
    unvouched = {
        source.name
        for source, built in compiled.items()
        if sources.get(source.name) != _digest(source) or made.get(built.name) != _digest(built)
    }
    for name in shared:
        spec = importlib.util.find_spec(str(name))
        if spec is None or spec.origin is None or made.get(Path(spec.origin).name) != _digest(Path(spec.origin)):
            unvouched.add(str(name))
    return sorted(unvouched)


if unvouched := _unvouched_builds():
    raise ImportError(
        f"faq: compiled modules not built from the sources here ({', '.join(unvouched)}): rebuild with "
        "`pip install -e .`, or run the sources after `SUPPORTBOT_PURE_PYTHON=1 pip install -e .`"
    )


def native() -> bool:
    """Whether the matcher runs compiled rather than from its Python source."""
    from faq import matcher

    return isinstance(matcher.__spec__.loader, ExtensionFileLoader)
