// YAML front matter → fields. Most front matter is a handful of `key: value` lines;
// those we read directly (the `yaml` package costs about a millisecond a file, which
// is a second for a thousand essays). Anything else goes to `yaml`, which also
// reports broken YAML. front-matter.test.ts checks both paths agree.

import type * as Yaml from 'yaml';

let yamlModule: typeof Yaml | undefined;

/** `yaml` is loaded on first use: most essays never need it, and loading it costs about 0.1 s in each parse worker. */
function yamlPackage(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  yamlModule ??= require('yaml') as typeof Yaml;
  return yamlModule;
}

/** The fields, or a warning (without the file name) and no fields when the YAML is broken. */
export function readFrontMatter(yaml: string): { fields: Record<string, unknown>; warning?: string } {
  const simple = simpleFrontMatter(yaml);
  if (simple) return { fields: simple };
  const doc = yamlPackage().parseDocument(yaml, { prettyErrors: false, uniqueKeys: false });
  const error = doc.errors[0];
  if (error) {
    // Line in the file: +1 to count from one, +1 for the opening `---`.
    const line = yaml.slice(0, error.pos[0]).split('\n').length + 1;
    const where = ` (line ${line} of the file)`;
    return { fields: {}, warning: `front matter is not valid YAML${where}: ${firstLine(error.message)}; the essay's text was used without it` };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    // Well-formed YAML that still cannot become values: an alias to no anchor (`series: *main`),
    // or more aliases than maxAliasCount allows (a "billion laughs").
    return { fields: {}, warning: `front matter could not be read: ${firstLine((e as Error).message)}; the essay's text was used without it` };
  }
  if (value === null || value === undefined) return { fields: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { fields: {}, warning: 'front matter is not a set of "key: value" fields; it was ignored' };
  return { fields: value as Record<string, unknown> };
}

const LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*$/;
/** Plain scalars YAML reads as the same string: a letter first, no indicator characters. */
const PLAIN = /^[A-Za-z][A-Za-z0-9 _.,'’!?()/-]*$/;
const FLOW_ITEM = /^[A-Za-z][A-Za-z0-9 _.'’!?()/-]*$/;
/** Words YAML 1.2 reads as booleans or null. */
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Front matter of plain `key: value` lines, read without a YAML parser; undefined for anything else. */
export function simpleFrontMatter(yaml: string): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  for (const line of yaml.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m?.[1] || Object.prototype.hasOwnProperty.call(fields, m[1]) || m[1] === '__proto__') return undefined;
    const value = scalarOrList(m[2] ?? '');
    if (value === undefined) return undefined;
    fields[m[1]] = value;
  }
  return fields;
}

function scalarOrList(raw: string): unknown {
  if (raw === '') return null;
  if (raw.startsWith('[') && raw.endsWith(']')) {
    const inner = raw.slice(1, -1).trim();
    if (inner === '') return [];
    const items = inner.split(',').map((item) => scalar(item.trim(), FLOW_ITEM));
    return items.every((item) => typeof item === 'string') ? items : undefined;
  }
  return scalar(raw, PLAIN);
}

function scalar(raw: string, plain: RegExp): string | undefined {
  if (/^"[^"\\]*"$/.test(raw) || /^'[^']*'$/.test(raw)) return raw.slice(1, -1);
  if (DATE.test(raw)) return raw; // YAML 1.2 has no timestamps: a date stays a string
  if (plain.test(raw) && !RESERVED.test(raw) && !raw.includes(' #') && !/\s$/.test(raw)) return raw;
  return undefined;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}
