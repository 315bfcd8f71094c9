// Runs a CLI command with process.stdout/stderr captured (restored afterwards, also on a throw).
// Only text is captured: the CLI writes strings, while `node --test` reports each test from
// the test file's process as binary chunks on the same stdout, which must still reach the
// runner (a test that ended just before a capture began was otherwise never reported).
export async function captureOutput(command: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === 'string' ? ((stdout += chunk), true) : (out as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await command(), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
