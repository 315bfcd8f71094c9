// The one channel to the host. acquireVsCodeApi may be called only once per
// page, so it is called here and the typed sender is shared.
import type { WebviewMessage } from '../protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function send(message: WebviewMessage): void {
  api.postMessage(message);
}
