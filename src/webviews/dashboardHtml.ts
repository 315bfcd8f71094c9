// The dashboard's HTML shell. Everything it loads comes from the extension's own
// dist/webviews folder; the CSP allows nothing else (no inline script or style
// without the per-load nonce, no remote resource).
import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export interface ShellParts {
  /** webview.cspSource */
  cspSource: string;
  /** webview URIs of dist/webviews/dashboard.js and .css */
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function dashboardHtml({ cspSource, scriptUri, styleUri, nonce }: ShellParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}" nonce="${nonce}">
<title>Voice Draft: Training Dashboard</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="muted">Loading the training dashboard…</p></main>
<script type="module" nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
