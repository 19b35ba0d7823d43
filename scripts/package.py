"""Build dist/ for spark-submit on a cluster (docs/CLUSTER.md).

    python scripts/package.py [--dist dist] [--venv]

dist/ then holds:
- sway.zip       the `jobs` and `transforms` packages, for `--py-files` (Spark takes .py/.zip/.egg
                 there, not wheels), plus a `sway-<version>.dist-info` so that the `runs` manifest
                 records the packaged code version (no git checkout on a cluster node);
- main.py        the entry point (`spark-submit ... main.py daily --date ...`);
- conf/          base.yaml, local.yaml, cluster.yaml, calibration/ and model/<version>.yaml:
                 client and local mode run from dist/ and find ./conf (jobs/config.py falls back to
                 it when the code comes from a zip);
- sway-conf.zip  the same conf/ tree for `--archives sway-conf.zip#conf` (cluster mode: YARN and
                 Kubernetes unpack it as ./conf in the driver's working dir; `--files` would flatten
                 conf/calibration/);
- sway-env.tar.gz  with --venv only: the runtime dependencies in a fresh virtual environment packed
                 with venv-pack, for `--archives sway-env.tar.gz#env` on clusters without them.

The archives are reproducible: files sorted, fixed timestamps (same tree, same bytes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jobs", "transforms")
# Zip entries get this timestamp (the zip format's earliest) so builds are byte-identical.
EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    """The build cannot proceed (missing files, a failed pip or venv-pack step)."""


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def code_version() -> str:
    """`<version>+g<commit>` like jobs.context.code_version, `.dirty` when the packaged folders have
    uncommitted changes (the zip then holds code no commit describes)."""
    version = project_version()
    try:
        sha = _git("rev-parse", "--short=8", "HEAD")
        dirty = _git("status", "--porcelain", "--", *PACKAGES, "conf")
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{sha}" + (".dirty" if dirty else "")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def _sources(package: str) -> list[Path]:
    files = sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)
    if not files:
        raise PackageError(f"no Python files under {ROOT / package}")
    return files


def _conf_files() -> list[Path]:
    conf = ROOT / "conf"
    files = sorted(p for p in conf.rglob("*.yaml") if p.is_file())
    if conf / "base.yaml" not in files:
        raise PackageError(f"{conf / 'base.yaml'} is missing")
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def build_code_zip(path: Path, version: str) -> int:
    """sway.zip: the packages at the zip's top level, importable from `--py-files`."""
    count = 0
    with zipfile.ZipFile(path, "w") as archive:
        for package in PACKAGES:
            for source in _sources(package):
                _add(archive, source.relative_to(ROOT).as_posix(), source.read_bytes())
                count += 1
        # importlib.metadata finds distributions inside zips on sys.path: this gives the manifest's
        # code_version (jobs/context.py) the packaged version instead of "0+unknown".
        info = f"sway-{version}.dist-info"
        _add(
            archive,
            f"{info}/METADATA",
            f"Metadata-Version: 2.1\nName: sway\nVersion: {version}\n".encode(),
        )
        _add(archive, f"{info}/top_level.txt", "\n".join(PACKAGES).encode() + b"\n")
    return count


def build_conf(dist: Path) -> list[str]:
    """dist/conf/ and dist/sway-conf.zip (entries under conf/... stripped to the archive root, since
    `#conf` already names the folder it unpacks to)."""
    names = []
    shutil.rmtree(dist / "conf", ignore_errors=True)
    with zipfile.ZipFile(dist / "sway-conf.zip", "w") as archive:
        for source in _conf_files():
            rel = source.relative_to(ROOT / "conf").as_posix()
            target = dist / "conf" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            _add(archive, rel, source.read_bytes())
            names.append(rel)
    return names


def runtime_requirements() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def build_env(dist: Path, build: Path, python: str) -> Path:
    """A fresh venv with the runtime dependencies (not Sway itself: the code comes from sway.zip),
    packed with venv-pack. venv-pack links the environment to its base interpreter: the cluster's
    nodes need the same Python (3.11) at the same path, see docs/CLUSTER.md."""
    try:
        import venv_pack  # noqa: F401
    except ImportError as error:
        raise PackageError(
            "--venv needs venv-pack in this environment: .venv/bin/pip install venv-pack"
        ) from error
    env = build / "sway-env"
    shutil.rmtree(env, ignore_errors=True)
    _run([python, "-m", "venv", str(env)])
    _run([str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", *runtime_requirements()])
    out = dist / "sway-env.tar.gz"
    out.unlink(missing_ok=True)
    _run([sys.executable, "-m", "venv_pack", "--quiet", "--prefix", str(env), "--output", str(out)])
    return out


def _run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise PackageError(f"command failed ({done.returncode}): {' '.join(command)}")


def package(dist: Path, venv: bool = False, python: str | None = None) -> dict[str, object]:
    """Build dist/ (see the module docstring); returns what was written."""
    dist.mkdir(parents=True, exist_ok=True)
    version = code_version()
    modules = build_code_zip(dist / "sway.zip", version)
    shutil.copyfile(ROOT / "jobs" / "main.py", dist / "main.py")
    conf = build_conf(dist)
    built: dict[str, object] = {
        "version": version,
        "sway.zip": modules,
        "main.py": True,
        "conf": conf,
    }
    if venv:
        base = python or getattr(sys, "_base_executable", sys.executable)
        built["sway-env.tar.gz"] = str(build_env(dist, dist.parent / "build", base))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default dist/)")
    parser.add_argument(
        "--venv",
        action="store_true",
        help="also pack the runtime dependencies into dist/sway-env.tar.gz (venv-pack)",
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter for the packed venv (default: the base Python of this one; the cluster "
        "needs the same one at the same path)",
    )
    args = parser.parse_args(argv)
    try:
        built = package(Path(args.dist).resolve(), args.venv, args.python)
    except PackageError as error:
        print(f"package error: {error}", file=sys.stderr)
        return 1
    dist = Path(args.dist).resolve()
    print(f"sway {built['version']} packaged in {dist}:")
    for name in sorted(os.listdir(dist)):
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
