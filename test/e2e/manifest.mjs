// What the scenarios derive their expectations from: the manifest and the single list of
// not-yet-available commands (src/features/notYetAvailableList.ts, which the bundle is built from).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './harness.mjs';

export const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

/** Contributed commands with the title the palette shows ("Voice Draft: Evaluate Voice"). */
export function contributedCommands() {
  return packageJson.contributes.commands.map((c) => ({ id: c.command, title: c.category ? `${c.category}: ${c.title}` : c.title }));
}

/** [{ id, title, message }] for every command that still answers "not available yet". */
export async function notYetAvailableCommands() {
  const { tsImport } = await import('tsx/esm/api');
  const list = await tsImport(pathToFileURL(join(repoRoot, 'src', 'features', 'notYetAvailableList.ts')).href, import.meta.url);
  const titles = new Map(contributedCommands().map((c) => [c.id, c.title]));
  return Object.entries(list.notYetAvailable).map(([id, what]) => ({ id, title: titles.get(id), message: list.notYetAvailableMessage(what) }));
}
