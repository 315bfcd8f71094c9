// `voice-draft doctor`: asks the engine what it can do here, through the same
// TypeScript client the extension uses.
import { defineCommand, readCommandLine } from './commandLine';
import { runEngineCommand, reportEngineFailure } from './engine';

export const DOCTOR_COMMAND = defineCommand({
  name: 'doctor',
  synopsis: '[--json] [--verbose]',
  about: 'Says which Python, PyTorch and GPU the engine would train with, and the model it recommends here.',
  positionals: { min: 0, max: 0, names: 'no arguments' },
  options: {
    json: { kind: 'flag', help: "print the engine's engine.ready event as JSON" },
    verbose: { kind: 'flag', help: "show the engine's log" },
  },
});

export async function doctorCommand(args: string[]): Promise<number> {
  const line = readCommandLine(DOCTOR_COMMAND, args);
  if (typeof line === 'number') return line;
  const json = line.values.json === true;
  try {
    const ready = await runEngineCommand(['doctor'], { verbose: line.values.verbose === true });
    if (ready.event !== 'engine.ready') throw new Error(`unexpected ${ready.event}`);
    if (json) {
      process.stdout.write(`${JSON.stringify(ready)}\n`);
      return 0;
    }
    const gpu = ready.gpu ? `${ready.gpu}${ready.gpu_memory_gib ? ` (${ready.gpu_memory_gib} GiB)` : ''}` : 'none';
    const rows: [string, string][] = [
      ['engine protocol', String(ready.protocol)],
      ['python', `${ready.python} (${String(ready.python_executable ?? '')})`],
      ['torch', ready.torch],
      ['transformers', String(ready.transformers ?? 'missing')],
      ['peft', String(ready.peft ?? 'missing')],
      ['device', ready.device],
      ['gpu', gpu],
    ];
    if (ready.recommendation) {
      rows.push(['recommended model', ready.recommendation.base_model]);
      rows.push(['micro-batch', String(ready.recommendation.micro_batch_size)]);
      rows.push(['why', ready.recommendation.why]);
    }
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
    return 0;
  } catch (e) {
    return reportEngineFailure(e);
  }
}
