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

/**
 * Splits the contributed commands into those the palette must list in a markdown editor with
 * a selection, and those whose `commandPalette` when-clause needs some other state.
 * Only the simple clauses this context decides are understood; anything else is "other".
 */
export function paletteExpectations(languageId = 'markdown') {
  const whenOf = new Map((packageJson.contributes.menus?.commandPalette ?? []).map((m) => [m.command, m.when]));
  const known = (term) => {
    if (['editorHasSelection', 'editorIsOpen', 'editorTextFocus', 'true'].includes(term)) return true;
    const re = term.match(/^(?:editorLangId|resourceLangId)\s*=~\s*\/(.*)\/([a-z]*)$/);
    if (re) return new RegExp(re[1], re[2]).test(languageId);
    const eq = term.match(/^(?:editorLangId|resourceLangId)\s*==\s*'?([\w-]+)'?$/);
    if (eq) return eq[1] === languageId;
    return undefined;
  };
  const shown = [];
  const other = [];
  for (const c of contributedCommands()) {
    const when = whenOf.get(c.id);
    const decided = when === undefined ? true : when.split('&&').map((t) => known(t.trim())).every((v) => v === true);
    (decided ? shown : other).push({ ...c, when });
  }
  return { shown, other };
}

/** [{ id, title, message }] for every command that still answers "not available yet". */
export async function notYetAvailableCommands() {
  const { tsImport } = await import('tsx/esm/api');
  const list = await tsImport(pathToFileURL(join(repoRoot, 'src', 'features', 'notYetAvailableList.ts')).href, import.meta.url);
  const titles = new Map(contributedCommands().map((c) => [c.id, c.title]));
  return Object.entries(list.notYetAvailable).map(([id, what]) => ({ id, title: titles.get(id), message: list.notYetAvailableMessage(what) }));
}
