// The one channel to the host. acquireVsCodeApi may be called only once per
// page, so it is called here and the typed sender is shared.
import type { SavedDashboard, WebviewMessage } from '../protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function send(message: WebviewMessage): void {
  api.postMessage(message);
}

/** Kept by VS Code across a window reload and handed to the host's serializer (SavedDashboard). */
export function saveState(state: SavedDashboard): void {
  api.setState(state);
}
