// Renders engine JSON-line events readably for the shell scripts; exits 1 on an `error` event.
import { createInterface } from 'node:readline';

let failed = false;
for await (const line of createInterface({ input: process.stdin })) {
  let e;
  try { e = JSON.parse(line); } catch { console.log(line); continue; }
  if (e.event === 'error') {
    failed = true;
    console.error(`error [${e.code}]: ${e.message}${e.hint ? `\nnext: ${e.hint}` : ''}`);
  } else if (e.message) {
    console.log(`${e.event.padEnd(16)} ${e.percent != null ? `${Math.round(e.percent)}% ` : ''}${e.message}`);
  } else {
    const { event, ...rest } = e;
    console.log(`${event.padEnd(16)} ${JSON.stringify(rest).slice(0, 200)}`);
  }
}
process.exitCode = failed ? 1 : 0;
