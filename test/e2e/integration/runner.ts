// A tiny test runner for the real extension host: tests register with test(), the
// extension-tests entry point calls run(). Results go to the console (which the smoke-test
// driver forwards to the harness) and, when the harness asks for it, to a JSON file.
import { writeFileSync } from 'node:fs';

type TestFn = () => Promise<void> | void;
interface TestCase { name: string; fn: TestFn; timeoutMs: number }
export interface TestResult { name: string; ok: boolean; ms: number; error?: string }

const first: TestCase[] = [];
const middle: TestCase[] = [];
const last: TestCase[] = [];

/** Registers a test; `first` runs before all others (e.g. "not active yet"), `last` after (e.g. deactivation). */
export function test(name: string, fn: TestFn, opts: { order?: 'first' | 'last'; timeoutMs?: number } = {}): void {
  const list = opts.order === 'first' ? first : opts.order === 'last' ? last : middle;
  list.push({ name, fn, timeoutMs: opts.timeoutMs ?? 60_000 });
}

export async function run(): Promise<void> {
  const results: TestResult[] = [];
  for (const t of [...first, ...middle, ...last]) {
    const start = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs, t.name);
      results.push({ name: t.name, ok: true, ms: Date.now() - start });
      console.log(`[voice-draft e2e] PASS ${t.name} (${Date.now() - start} ms)`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.push({ name: t.name, ok: false, ms: Date.now() - start, error });
      console.error(`[voice-draft e2e] FAIL ${t.name}\n${error}`);
    }
  }
  const out = process.env.VOICE_DRAFT_E2E_RESULTS;
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok);
  console.log(`[voice-draft e2e] integration: ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`${failed.length} integration test(s) failed: ${failed.map((f) => f.name).join('; ')}`);
}

/** Polls until `probe` is truthy; for waiting on real signals instead of sleeping. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test "${name}" took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
