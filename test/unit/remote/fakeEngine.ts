// A small real Python program that behaves like the engine on the wire and on
// disk (events.jsonl appended as it goes, checkpoints folders, SIGTERM ->
// checkpoint + train.cancelled, adapter/ at the end, --resume from the newest
// checkpoint, export -> onnx/), so the transport is tested against real
// processes until and beside the real trainer. Steps and speed come from the
// run's config.json (`fake_steps`, `fake_step_s`, `fake_checkpoint_every`).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = String.raw`
import json, os, signal, sys, time, venv

def main():
    cmd = sys.argv[1]
    args = sys.argv[2:]
    if cmd == "doctor":
        if os.environ.get("FAKE_REQUIRE_VENV") == "1" and sys.prefix == sys.base_prefix:
            emit(None, event="error", code="missing_package", message="no torch outside the venv", hint="run setup")
            return 1
        emit(None, event="engine.ready", protocol=1, python=sys.version.split()[0], torch="fake", device="cpu", gpu=None,
             python_executable=sys.executable, cache=os.environ.get("VOICE_DRAFT_CACHE"))
        return 0
    if cmd == "setup":
        target = args[args.index("--venv") + 1]
        emit(None, event="setup.progress", stage="venv", message="creating " + target, percent=10)
        venv.create(target, with_pip=False, system_site_packages=True)
        emit(None, event="setup.done", venv=target, python=os.path.join(target, "bin", "python"), seconds=0.1)
        return 0
    run = args[args.index("--run") + 1]
    if cmd == "train":
        return train(run, "--resume" in args)
    if cmd == "export":
        emit(run, event="export.progress", stage="merge", message="merging")
        os.makedirs(os.path.join(run, "onnx", "onnx"), exist_ok=True)
        with open(os.path.join(run, "onnx", "config.json"), "w") as f:
            json.dump({"model_type": "fake"}, f)
        with open(os.path.join(run, "onnx", "onnx", "model.onnx"), "wb") as f:
            f.write(b"\x08\x07fake-onnx" * 100)
        emit(run, event="export.done", onnx="onnx")
        return 0
    return 2

def emit(run, **e):
    line = json.dumps(e) + "\n"
    sys.stdout.write(line)
    sys.stdout.flush()
    if run:
        with open(os.path.join(run, "events.jsonl"), "a") as f:
            f.write(line)

def checkpoint(run, step):
    name = "step-%06d" % step
    final = os.path.join(run, "checkpoints", name)
    tmp = final + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, "state.json"), "w") as f:
        json.dump({"step": step}, f)
    with open(os.path.join(tmp, "adapter_model.safetensors"), "wb") as f:
        f.write(os.urandom(4096))
    os.rename(tmp, final)
    return "checkpoints/" + name

def train(run, resume):
    with open(os.path.join(run, "config.json")) as f:
        config = json.load(f)
    steps = int(config.get("fake_steps", 20))
    step_s = float(config.get("fake_step_s", 0.1))
    every = int(config.get("fake_checkpoint_every", 5))
    crash_at = int(config.get("fake_crash_at", 0))
    start = 0
    if resume:
        ckdir = os.path.join(run, "checkpoints")
        names = sorted(n for n in os.listdir(ckdir) if n.startswith("step-") and not n.endswith(".tmp"))
        with open(os.path.join(ckdir, names[-1], "state.json")) as f:
            start = json.load(f)["step"]
    config = dict(config, resolved=True)
    with open(os.path.join(run, "config.json"), "w") as f:
        json.dump(config, f)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(os.path.join(run, "dataset", "train.jsonl")) as f:
        pairs = sum(1 for line in f if line.strip())
    emit(run, event="train.started", config=config, dataset={"train_pairs": pairs, "val_pairs": 0}, resumed_from=start)
    sys.stderr.write("fake engine pid %d in %s\n" % (os.getpid(), run))
    sys.stderr.flush()
    for step in range(start + 1, steps + 1):
        time.sleep(step_s)
        if crash_at and step == crash_at:
            sys.stderr.write("fake crash at step %d\n" % step)
            os._exit(3)
        emit(run, event="train.progress", step=step, epoch=step / steps, loss=3.0 - step * 0.01, lr=1e-4, total_steps=steps)
        if step % every == 0:
            emit(run, event="train.checkpoint", step=step, path=checkpoint(run, step))
        if stop:
            path = checkpoint(run, step) if step % every else "checkpoints/step-%06d" % step
            emit(run, event="train.cancelled", step=step, checkpoint=path)
            return 0
    os.makedirs(os.path.join(run, "adapter"), exist_ok=True)
    with open(os.path.join(run, "adapter", "adapter_config.json"), "w") as f:
        json.dump({"r": 16, "steps": steps}, f)
    with open(os.path.join(run, "adapter", "adapter_model.safetensors"), "wb") as f:
        f.write(os.urandom(8192))
    with open(os.path.join(run, "canaries.json"), "w") as f:
        json.dump({"prompts": []}, f)
    emit(run, event="train.done", adapter="adapter", best_step=steps, best_val_loss=2.5)
    return 0

sys.exit(main())
`;

/** Writes the fake package into a fresh folder and returns that folder (what enginePackageDir() would return). */
export async function writeFakeEngine(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vd-fake-engine-'));
  await mkdir(join(dir, 'voice_draft_engine'));
  await writeFile(join(dir, 'voice_draft_engine', '__init__.py'), '__version__ = "0.0.0+fake"\n');
  await writeFile(join(dir, 'voice_draft_engine', '__main__.py'), MAIN);
  return dir;
}

/** A run folder as the extension prepares it: dataset/ and config.json. */
export async function writeRunFolder(root: string, id: string, config: Record<string, unknown>): Promise<string> {
  const run = join(root, id);
  await mkdir(join(run, 'dataset'), { recursive: true });
  const pairs = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `essay-${i}.md#raw-0`, doc: `essay-${i}.md`, tier: 'raw', text: `Paragraph ${i} of an essay.` }));
  await writeFile(join(run, 'dataset', 'train.jsonl'), `${pairs.join('\n')}\n`);
  await writeFile(join(run, 'dataset', 'val.jsonl'), '');
  await writeFile(join(run, 'dataset', 'manifest.json'), JSON.stringify({ format: 1, documents: { total: 6, train: 6, val: 0 }, words: 36 }));
  // Not the offline default unless a test says so: that one would be copied to the host.
  await writeFile(join(run, 'config.json'), JSON.stringify({ base_model: 'tiny:llama', ...config }));
  return run;
}
