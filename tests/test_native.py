"""The compiled matcher: a compiled module runs only when it was built from the source beside it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import faq

PACKAGE = Path(faq.__file__).parent


def _import_copy(tmp_path: Path, record: dict[str, str] | None, built: bool = True) -> subprocess.CompletedProcess[str]:
    """Import a copy of the package holding normalize.py, a compiled module beside it when
    `built` (a placeholder: the check runs before any module loads) and the build's `record`."""
    copy = tmp_path / "faq"
    copy.mkdir()
    shutil.copy(PACKAGE / "__init__.py", copy)
    shutil.copy(PACKAGE / "normalize.py", copy)
    if built:
        (copy / f"normalize{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    if record is not None:
        (copy / "native_build.json").write_text(json.dumps(record))
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import faq"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def _digest(name: str) -> str:
    return hashlib.sha256((PACKAGE / name).read_bytes()).hexdigest()


def test_a_module_built_from_its_source_imports(tmp_path: Path) -> None:
    assert _import_copy(tmp_path, {"normalize.py": _digest("normalize.py")}).returncode == 0


@pytest.mark.parametrize(
    "record",
    [{"normalize.py": "0" * 64}, {}, None],
    ids=["source changed since", "pure build over an old one", "no record"],
)
def test_a_module_built_from_other_source_stops_the_import(tmp_path: Path, record: dict[str, str] | None) -> None:
    result = _import_copy(tmp_path, record)
    assert result.returncode == 1
    assert "ImportError: faq: the compiled modules were built from other sources than normalize.py" in result.stderr
    assert "pip install -e ." in result.stderr


def test_sources_without_a_compiled_module_import(tmp_path: Path) -> None:
    assert _import_copy(tmp_path, None, built=False).returncode == 0


def test_native_says_what_runs() -> None:
    from faq import matcher

    assert faq.native() == (Path(matcher.__file__).suffix == ".so")
