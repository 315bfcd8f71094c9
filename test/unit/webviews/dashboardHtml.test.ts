import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, dashboardHtml, newNonce } from '../../../src/webviews/dashboardHtml';

test('the shell loads only its own bundle under a nonce CSP with nothing remote or inline', () => {
  const nonce = newNonce();
  assert.match(nonce, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(nonce, newNonce());
  const src = 'https://file+.vscode-resource.vscode-cdn.net';
  assert.equal(contentSecurityPolicy(src, 'N'),
    `default-src 'none'; script-src 'nonce-N'; style-src ${src} 'nonce-N'; img-src ${src} data:; font-src ${src}`);
  const html = dashboardHtml({ cspSource: src, scriptUri: `${src}/dist/webviews/dashboard.js`, styleUri: `${src}/dist/webviews/dashboard.css`, nonce });
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0]!.includes(`nonce="${nonce}"`) && scripts[0]!.includes('dashboard.js'));
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline styles');
  assert.doesNotMatch(html.replaceAll(src, ''), /https?:/, 'nothing but the webview resource origin');
});
