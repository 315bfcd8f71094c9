// `voice-draft doctor`: asks the engine what it can do here, through the same
// TypeScript client the extension uses.
import { command } from './commandLine';
import { COMMANDS } from './commands';
import { runEngineCommand, reportEngineFailure } from './engine';

export const doctorCommand = command(COMMANDS.doctor, async ({ values }) => {
  const json = values.json === true;
  try {
    const ready = await runEngineCommand(['doctor'], { verbose: values.verbose === true });
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
});
