"""Build: the matcher's hot modules are compiled with mypyc (about a third faster a message).

All or nothing: if any part fails to compile (no C compiler, a compiler warning that mypyc turns
into an error), the build removes what it built, says so on stderr, and the modules run from their
sources. After a build that succeeds it records, beside the modules it built, a hash of each
source it compiled and of each file it made (faq/native_build.json): faq/__init__.py refuses
compiled modules that the record does not vouch for, since Python would import them in place of
their sources and quietly run old code. SUPPORTBOT_PURE_PYTHON=1 at install compiles nothing, and
removes compiled modules an earlier build left beside the sources.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = ["faq/normalize.py", "faq/analyzer.py", "faq/index.py", "faq/phrasings.py", "faq/matcher.py"]
RECORD = "faq/native_build.json"
# The commands that install the sources in place, where a pure install must not leave compiled modules.
IN_PLACE_COMMANDS = {"editable_wheel", "develop", "--inplace"}


def _digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# The sources as mypyc reads them below, which is what the extensions will be built from.
SOURCES = {Path(path).name: _digest(path) for path in COMPILED}


class BuildNative(build_ext):
    """Builds the compiled modules all or none, and records what they were built from."""

    built_all = True  # until a failure or a dry run: then there are no outputs to carry or link

    def run(self) -> None:
        """Build, then record; on any failure remove every output and leave the sources to run."""
        in_place = bool(self.inplace)  # setuptools clears it while building, and a failure leaves it so
        if self.dry_run:
            super().run()
            self.built_all = False  # nothing was built, so there is nothing to vouch for
            return
        try:
            super().run()
        except Exception as exc:
            self.built_all = False
            for path in self._outputs(in_place=in_place):
                path.unlink(missing_ok=True)
            # pip shows this only with -v: `supportbot serve` logs which matcher runs, and .ci/run checks.
            print(f"*** supportbot: the matcher was not compiled ({exc}); it runs from source ***", file=sys.stderr)
            return
        built = {path.name: _digest(path) for path in self._outputs(in_place=False)}
        shared = [ext.name for ext in self.extensions if "." not in ext.name]  # mypyc's library of the modules
        record = json.dumps({"sources": SOURCES, "built": built, "shared": shared}, indent=1, sort_keys=True)
        for folder in {Path(self.build_lib, "faq"), *([Path("faq")] if in_place else [])}:
            folder.mkdir(parents=True, exist_ok=True)
            Path(folder, Path(RECORD).name).write_text(record + "\n")

    def get_outputs(self) -> list[str]:
        """The built files and their record, which a wheel or a strict editable install carries."""
        return [*super().get_outputs(), os.path.join(self.build_lib, RECORD)] if self.built_all else []

    def get_output_mapping(self) -> dict[str, str]:
        """Each built file and where it stands in the tree (the record beside the modules)."""
        mapping = super().get_output_mapping()
        return {**mapping, os.path.join(self.build_lib, RECORD): RECORD} if self.built_all and mapping else {}

    def _outputs(self, in_place: bool) -> list[Path]:
        """The files the extensions are built as and, with `in_place`, their copies beside the sources."""
        build_py = self.get_finalized_command("build_py")
        paths = []
        for ext in self.extensions:
            fullname = self.get_ext_fullname(ext.name)
            filename = self.get_ext_filename(fullname)
            paths.append(Path(self.build_lib, filename))
            if in_place:
                paths.append(Path(build_py.get_package_dir(fullname.rpartition(".")[0]), os.path.basename(filename)))
        return paths


def extensions() -> list[Extension]:
    """The compiled modules or, when pure Python is asked for, none (and none left beside the sources)."""
    if os.environ.get("SUPPORTBOT_PURE_PYTHON") == "1":
        if IN_PLACE_COMMANDS.intersection(sys.argv):  # not for a wheel or an sdist of this tree
            suffix = sysconfig.get_config_var("EXT_SUFFIX")
            compiled = [*(Path(p).with_suffix(suffix) for p in COMPILED), *Path().glob(f"*__mypyc{suffix}")]
            for path in [*compiled, Path(RECORD)]:
                path.unlink(missing_ok=True)
        return []
    from mypyc.build import mypycify

    return mypycify(COMPILED, opt_level="3")


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildNative})
