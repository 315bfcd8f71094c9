// The commands whose feature has not landed yet, and how each names itself in its honest
// "not available yet" message. When a feature lands, delete its entry here and register
// the real command in activate(). No `vscode` import: the end-to-end tests read this list.
import type { CommandId } from './commandIds';

export const notYetAvailable: Partial<Record<CommandId, string>> = {
};

/** The message a not-yet-available command shows. */
export function notYetAvailableMessage(what: string): string {
  return `Voice Draft: ${what} is not available yet in this version.`;
}
