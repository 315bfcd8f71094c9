// The engine's events on the client's side: one JSON object per line, parsed from
// `unknown` at the boundary. Their types and checks are generated from the engine's
// own description (engineEvents.ts, from voice_draft_engine/events.py); this file
// turns a line into one. Unknown event names are kept as `unknown`, so a newer
// engine never breaks an older client.
import { EVENT_CHECKS, type KnownEvent, TERMINAL_EVENTS } from './engineEvents';

export type * from './engineEvents';

export interface UnknownEvent { event: 'unknown'; name: string; raw: Record<string, unknown> }

export type EngineEvent = KnownEvent | UnknownEvent;

/** Events after which the engine has nothing more to say for this command. */
export function isTerminal(e: EngineEvent): boolean {
  return TERMINAL_EVENTS.has(e.event);
}

export class ProtocolError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one already-decoded JSON value into an event; throws ProtocolError when malformed. */
export function parseEvent(value: unknown): EngineEvent {
  if (!isObj(value) || typeof value.event !== 'string') throw new ProtocolError('not an event object');
  if (!Object.hasOwn(EVENT_CHECKS, value.event)) return { event: 'unknown', name: value.event, raw: value };
  if (!EVENT_CHECKS[value.event as KnownEvent['event']](value)) throw new ProtocolError(`malformed ${value.event} event`);
  return value as unknown as EngineEvent;
}

/** Parses one line of engine stdout; blank lines give undefined. */
export function parseEventLine(line: string): EngineEvent | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError(`not JSON: ${text.slice(0, 120)}`);
  }
  return parseEvent(value);
}
