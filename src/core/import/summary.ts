// The import's report as plain text: the CLI prints it, the editor shows it in the
// Voice Draft log and a document. What came in and what changed, what was cut (so
// the writer can check nothing of theirs went), what was left out, what failed.

import { formatCount } from '../corpus/text';
import type { ImportReport } from './importWriting';
import type { Change } from './writePieces';

const ORDER: Change[] = ['added', 'updated', 'unchanged', 'kept your edits', 'deleted by you'];

export function formatImportSummary(r: ImportReport, maxListed = 10): string {
  const out: string[] = [];
  out.push(`Imported the ${r.formatLabel} at ${r.input}`, `into ${r.out}`, '');
  const counts = ORDER.map((c) => [c, r.changes.filter((x) => x.change === c).length] as const).filter(([, n]) => n > 0);
  out.push(`${n(r.changes.length)} ${plural(r.changes.length, 'piece')}${counts.length > 0 ? `: ${counts.map(([c, k]) => `${n(k)} ${c}`).join(', ')}` : ''}`);
  const states = Object.entries(r.states).filter(([k, v]) => k !== 'paywalled' && v > 0 && k !== 'published');
  const stateLine = [...states.map(([k, v]) => `${n(v)} ${k}`), ...(r.states.paywalled > 0 ? [`${n(r.states.paywalled)} paywalled`] : [])];
  if (stateLine.length > 0) out.push(`  as the export says: ${stateLine.join(', ')} (in each file's front matter)`);
  const edited = r.changes.filter((c) => c.change === 'kept your edits' || c.change === 'deleted by you');
  if (edited.length > 0) {
    out.push('', 'Left as you have them (you changed or deleted these since the last import):');
    list(out, edited.map((c) => `${c.file} (${c.change === 'kept your edits' ? 'edited' : 'deleted'})`), maxListed);
    out.push('  Delete an edited file to take the export\'s version next time.');
  }
  if (r.removedInSource.length > 0) {
    const unread = r.problems.length > 0 ? ', or among the files that could not be read' : '';
    out.push('', `Not in this export${unread} (the files were kept; delete them if they should go): ${n(r.removedInSource.length)}`);
    list(out, r.removedInSource.map((x) => x.file), maxListed);
  }

  out.push('', `Cut as platform furniture, not your prose: ${n(r.removed.total)}`);
  const kinds = Object.entries(r.removed.byKind).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (kinds.length > 0) out.push(`  ${kinds.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  for (const e of r.removed.examples.slice(0, 6)) out.push(`  e.g. ${e.kind}: "${e.text}" (${e.origin})`);

  if (r.skipped.length > 0) {
    out.push('', `Left out on purpose: ${n(r.skipped.length)}`);
    list(out, r.skipped.map((s) => `${s.origin}: ${s.reason}`), maxListed);
  }
  if (r.problems.length > 0) {
    out.push('', `Could not import (${n(r.problems.length)}); everything else was imported:`);
    list(out, r.problems.map((p) => `${p.origin}: ${p.message}`), maxListed);
  }
  const written = r.changes.length - r.changes.filter((c) => c.change === 'deleted by you').length;
  if (written > 0) out.push('', `Next: train on ${r.out} (the data report flags pieces to check before training).`);
  return `${out.join('\n')}\n`;
}

function list(out: string[], lines: string[], max: number): void {
  for (const line of lines.slice(0, max)) out.push(`  ${line}`);
  if (lines.length > max) out.push(`  … and ${n(lines.length - max)} more`);
}

function n(x: number): string {
  return formatCount(x);
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}
