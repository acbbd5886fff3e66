"""The compiled matcher: a compiled module runs only where its build's record vouches for it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

import pytest

import faq

PACKAGE = Path(faq.__file__).parent
BUILT = f"normalize{EXTENSION_SUFFIXES[0]}"
PLACEHOLDER = b"a compiled module: the check runs before any module loads"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(**changes: Any) -> dict[str, Any]:
    """The record a build of normalize.py would write, with `changes`."""
    record = {
        "sources": {"normalize.py": _digest((PACKAGE / "normalize.py").read_bytes())},
        "built": {BUILT: _digest(PLACEHOLDER)},
        "shared": [],
    }
    return {**record, **changes}


def _import_copy(tmp_path: Path, record: dict[str, Any] | None, built: bool = True) -> subprocess.CompletedProcess[str]:
    """Import a copy of the package holding normalize.py, a compiled module beside it when
    `built`, and the build's `record` when there is one."""
    copy = tmp_path / "faq"
    copy.mkdir()
    shutil.copy(PACKAGE / "__init__.py", copy)
    shutil.copy(PACKAGE / "normalize.py", copy)
    if built:
        (copy / BUILT).write_bytes(PLACEHOLDER)
    if record is not None:
        (copy / "native_build.json").write_text(json.dumps(record))
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import faq"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_module_the_record_vouches_for_imports(tmp_path: Path) -> None:
    result = _import_copy(tmp_path, _record())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("record", "named"),
    [
        (_record(sources={"normalize.py": "0" * 64}), "normalize.py"),
        (_record(built={BUILT: "0" * 64}), "normalize.py"),
        (_record(shared=["mypyc_library_of_another_build"]), "mypyc_library_of_another_build"),
        ({"normalize.py": _digest((PACKAGE / "normalize.py").read_bytes())}, "normalize.py"),
        (None, "normalize.py"),
    ],
    ids=["source changed since", "built by another build", "library missing", "another record's form", "no record"],
)
def test_a_module_the_record_does_not_vouch_for_stops_the_import(
    tmp_path: Path, record: dict[str, Any] | None, named: str
) -> None:
    result = _import_copy(tmp_path, record)
    assert result.returncode == 1
    assert f"ImportError: faq: compiled modules not built from the sources here ({named})" in result.stderr
    assert "pip install -e ." in result.stderr


def test_sources_without_a_compiled_module_import(tmp_path: Path) -> None:
    assert _import_copy(tmp_path, None, built=False).returncode == 0


def test_native_says_whether_a_compiled_matcher_runs() -> None:
    compiled = any((PACKAGE / f"matcher{suffix}").is_file() for suffix in EXTENSION_SUFFIXES)
    assert faq.native() == compiled
