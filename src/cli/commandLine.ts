// Reading a subcommand's command line from its description (the table in commands.ts):
// node:util parseArgs (strict) reads the arguments from it, values are typed and checked
// from it, and the usage text is written from it. An unknown option, a missing value or a
// bad one is a UsageError: the command prints it with its usage and exits 2 (`command`),
// nothing else happens.
import { parseArgs } from 'node:util';

/** flag: present or not; text: any string; int: a whole number; number: any finite number. */
export type OptionKind = 'flag' | 'text' | 'int' | 'number';

export interface OptionSpec {
  kind: OptionKind;
  /** The value's name in the usage text (N, DIR, JSON); choices, or 'X' when not given. */
  value?: string;
  help: string;
  /** The only values a text option takes. */
  choices?: readonly string[];
  /** The smallest value a number takes (a range the engine checks itself is left to it). */
  min?: number;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** The subcommand, as typed after `voice-draft` (the table's key: defineCommands). */
  name: string;
  /** Its line in the list `voice-draft --help` prints. */
  summary: string;
  /** What follows the name in the usage line, e.g. '<run folder> [options]'. */
  synopsis: string;
  /** A paragraph under the usage line. */
  about?: string;
  /** How many positional arguments it takes; `names` says them in the error. */
  positionals: { min: number; max: number; names: string };
  options: O;
}

type ValueOf<S extends OptionSpec> = S['kind'] extends 'flag' ? boolean : S['kind'] extends 'int' | 'number' ? number : string;
export type OptionValues<O extends Record<string, OptionSpec>> = { [K in keyof O]?: ValueOf<O[K]> };

export interface CommandLine<O extends Record<string, OptionSpec>> {
  /** The options that were given (absent ones are undefined: each command knows its defaults). */
  values: OptionValues<O>;
  positionals: string[];
}

/** A command line the command cannot act on; printed with its usage, exit 2. */
export class UsageError extends Error {}

/** The command table (commands.ts): each entry gets its key as its name, its options keep their types. */
export function defineCommands<const T extends Record<string, Omit<CommandSpec, 'name'>>>(table: T): { [N in keyof T & string]: T[N] & { name: N } } {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, { ...spec, name }])) as { [N in keyof T & string]: T[N] & { name: N } };
}

function placeholder(o: OptionSpec): string {
  if (o.kind === 'flag') return '';
  return ` ${o.value ?? (o.choices ? o.choices.join('|') : o.kind === 'text' ? 'X' : 'N')}`;
}

/** The usage text, from the spec: the line, the paragraph, one row per option. */
export function usage(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => [`--${name}${placeholder(o)}`, o.help]);
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length));
  const indent = ' '.repeat(width + 4);
  const lines = [`usage: voice-draft ${spec.name} ${spec.synopsis}`, ''];
  if (spec.about) lines.push(spec.about, '');
  lines.push('options:');
  for (const [left, help] of rows) lines.push(`  ${left.padEnd(width)}  ${help.split('\n').join(`\n${indent}`)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A number option's negative value (`--epochs -2`) would read to parseArgs as an option
 * of its own; join it to its name so that the value is what gets checked.
 */
function joinNegativeNumbers(spec: CommandSpec, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i)];
    const o = a.startsWith('--') ? spec.options[a.slice(2)] : undefined;
    const next = args[i + 1];
    if (o && (o.kind === 'int' || o.kind === 'number') && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** parseArgs's own messages, said the way the rest of the CLI speaks. */
function explain(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option} (a text that starts with '-' goes after '--')`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message)) return `${option} takes no value`;
    if (/ambiguous/.test(message)) return `${option} needs a value (one that starts with '-' is written ${option}=-X)`;
    return `${option} needs a value`;
  }
  return message;
}

function checkValue(name: string, o: OptionSpec, raw: string): string | number {
  if (o.kind === 'text') {
    if (o.choices && !o.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${o.choices.join(', ')} (got "${raw}")`);
    return raw;
  }
  const n = Number(raw);
  if (o.kind === 'int' && !/^[+-]?\d+$/.test(raw.trim())) throw new UsageError(`--${name} needs a whole number (got "${raw}")`);
  if (!raw.trim() || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number (got "${raw}")`);
  if (o.min !== undefined && n < o.min) throw new UsageError(`--${name} must be at least ${o.min} (got ${raw})`);
  return n;
}

/** Reads `args` by the spec, or throws a UsageError. `--help` is not handled here (see readCommandLine). */
export function parseCommandLine<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, args: readonly string[]): CommandLine<O> {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.kind === 'flag' ? 'boolean' as const : 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(spec, args), options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(explain(e));
  }
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const o = spec.options[name]!;
    values[name] = typeof raw === 'string' ? checkValue(name, o, raw) : raw;
  }
  const { min, max, names } = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    const extra = n > max ? `; "${parsed.positionals[max]}" is one too many` : '';
    throw new UsageError(`${spec.name} takes ${names}${extra}`);
  }
  return { values: values as OptionValues<O>, positionals: parsed.positionals };
}

/**
 * What each command starts with: the parsed command line, or the exit code when there is
 * nothing to run — 0 after printing the usage for --help / -h, 2 after printing a
 * problem and the usage to stderr.
 */
export function readCommandLine<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, args: readonly string[]): CommandLine<O> | number {
  const end = args.indexOf('--');
  const before = end < 0 ? args : args.slice(0, end);
  if (before.includes('--help') || before.includes('-h')) {
    process.stdout.write(usage(spec));
    return 0;
  }
  try {
    return parseCommandLine(spec, args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageFailure(spec, e.message);
  }
}

/**
 * A subcommand: `run` gets the parsed command line (--help and a bad line never reach
 * it); a UsageError it throws (options that do not go together) is said like the rest.
 */
export function command<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, run: (line: CommandLine<O>) => Promise<number>): (args: readonly string[]) => Promise<number> {
  return async (args) => {
    const line = readCommandLine(spec, args);
    if (typeof line === 'number') return line;
    try {
      return await run(line);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      return usageFailure(spec, e.message);
    }
  };
}

function usageFailure(spec: CommandSpec, message: string): number {
  process.stderr.write(`voice-draft ${spec.name}: ${message}\n\n${usage(spec)}`);
  return 2;
}

/**
 * Runs a command's work with a signal that Ctrl-C aborts. What it throws becomes an exit
 * code: `failure` names the errors that are the input's fault (said on stderr with the
 * code it returns), an abort is 130 with nothing written; anything else is a bug and
 * goes on up.
 */
export async function interruptible(
  name: string,
  work: (signal: AbortSignal) => Promise<number>,
  failure: (e: unknown) => number | undefined,
): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await work(abort.signal);
  } catch (e) {
    const code = failure(e);
    if (code !== undefined) {
      process.stderr.write(`voice-draft ${name}: ${(e as Error).message}\n`);
      return code;
    }
    if (abort.signal.aborted) {
      process.stderr.write(`voice-draft ${name}: cancelled; nothing was written\n`);
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
