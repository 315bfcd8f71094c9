// HTML → markdown for the importers: parse with a real DOM (domino, turndown's own
// parser), cut what is not the writer's prose — each platform's furniture first, then
// scripts, forms, embeds, images and their captions, then paragraphs the corpus knows
// as boilerplate — record every cut, and convert the rest with turndown.

import { createDocument } from '@mixmark-io/domino';
import TurndownService from 'turndown';
import { boilerplateKind } from '../corpus/boilerplate';
import { excerpt } from '../corpus/text';
import type { RemovedPart } from './types';

/** A platform's furniture: elements matching `matches` are cut whole and listed as `kind`. */
export interface CleanRule {
  kind: string;
  matches(el: Element): boolean;
}

const SCRIPT_OR_STYLE = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'LINK', 'META', 'HEAD']);
const FORM = new Set(['FORM', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'LABEL']);
const EMBED = new Set(['IFRAME', 'VIDEO', 'AUDIO', 'OBJECT', 'EMBED', 'CANVAS', 'SVG', 'svg']);
const IMAGE = new Set(['IMG', 'PICTURE']);

/** The rules every format shares, after its own. */
const COMMON_RULES: CleanRule[] = [
  { kind: 'script or style', matches: (el) => SCRIPT_OR_STYLE.has(el.nodeName) },
  { kind: 'form or button', matches: (el) => FORM.has(el.nodeName) },
  { kind: 'embed', matches: (el) => EMBED.has(el.nodeName) },
  { kind: 'image caption', matches: (el) => el.nodeName === 'FIGCAPTION' },
  { kind: 'image', matches: (el) => IMAGE.has(el.nodeName) },
];

/** Does the element carry any of these classes? */
export function hasClass(el: Element, ...names: string[]): boolean {
  const classes = (el.getAttribute('class') ?? '').split(/\s+/);
  return names.some((n) => classes.includes(n));
}

/** Does any of its classes start with one of these prefixes (`kg-signup` matches `kg-signup-card`)? */
export function hasClassPrefix(el: Element, ...prefixes: string[]): boolean {
  const classes = (el.getAttribute('class') ?? '').split(/\s+/);
  return classes.some((c) => prefixes.some((p) => c.startsWith(p)));
}

export function parseHtml(html: string): Document {
  return createDocument(html, true);
}

/** Cuts furniture out of `root` (in place) and says what went. */
export function cleanHtml(root: Element, rules: readonly CleanRule[]): RemovedPart[] {
  const removed: RemovedPart[] = [];
  const all = [...rules, ...COMMON_RULES];
  for (const el of Array.from(root.querySelectorAll('*'))) {
    if (!within(el, root)) continue; // inside something already cut
    const rule = all.find((r) => r.matches(el));
    if (rule) {
      removed.push({ kind: rule.kind, text: rule.kind === 'script or style' ? '' : excerpt(readableText(el), 120) });
      el.parentNode?.removeChild(el);
    }
  }
  for (const p of Array.from(root.querySelectorAll('p'))) {
    if (!within(p, root)) continue;
    const text = squash(p.textContent ?? '');
    if (text === '') continue;
    const kind = boilerplateKind({ kind: 'paragraph', text });
    if (kind && kind !== 'link-only line') {
      removed.push({ kind, text: excerpt(text, 120) });
      p.parentNode?.removeChild(p);
    }
  }
  return removed;
}

const BLOCKS = new Set(['P', 'DIV', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'PRE', 'TABLE', 'HR', 'FIGURE', 'SECTION', 'ARTICLE', 'DL', 'ADDRESS']);

/**
 * Paragraphs from blank lines, as WordPress's classic editor stores them (it adds the
 * `<p>` tags only when the page is shown): runs of text and inline elements between
 * blocks become `<p>`s, split at blank lines; a single line break becomes `<br>`.
 */
export function autoParagraphs(container: Element): void {
  const doc = container.ownerDocument;
  let run: Node[] = [];
  const flush = (before: Node | null) => {
    while (run[0]?.nodeName === 'BR') run.shift();
    while (run.at(-1)?.nodeName === 'BR') run.pop();
    const hasText = run.some((n) => (n.textContent ?? '').trim() !== '' || (n.nodeType === 1 && n.nodeName !== 'BR'));
    if (hasText) {
      const p = doc.createElement('p');
      for (const n of run) p.appendChild(n);
      container.insertBefore(p, before);
    } else {
      for (const n of run) n.parentNode?.removeChild(n);
    }
    run = [];
  };
  for (const node of Array.from(container.childNodes)) {
    if (node.nodeType === 1 && BLOCKS.has(node.nodeName)) {
      flush(node);
      if (node.nodeName === 'BLOCKQUOTE' || node.nodeName === 'DIV') autoParagraphs(node as Element);
      continue;
    }
    if (node.nodeType === 8) {
      container.removeChild(node); // <!-- wp:paragraph --> and the like
      continue;
    }
    if (node.nodeType !== 3) {
      run.push(node);
      continue;
    }
    const pieces = (node.textContent ?? '').split(/\n[ \t\r]*\n\s*/);
    pieces.forEach((piece, i) => {
      if (i > 0) flush(node);
      const lines = piece.split('\n');
      lines.forEach((line, k) => {
        if (k > 0) run.push(doc.createElement('br'));
        if (line !== '') run.push(doc.createTextNode(line));
      });
    });
    container.removeChild(node);
  }
  flush(null);
}

let turndown: TurndownService | undefined;

/** Markdown of what is left: ATX headings, `-` bullets, `*` emphasis, fenced code. */
export function toMarkdown(node: Element): string {
  turndown ??= new TurndownService({ headingStyle: 'atx', bulletListMarker: '-', emDelimiter: '*', strongDelimiter: '**', codeBlockStyle: 'fenced', hr: '---' });
  return turndown.turndown(node as unknown as TurndownService.Node).replace(/\n{3,}/g, '\n\n').trim();
}

export interface HtmlOptions {
  /** Text with blank lines and no `<p>` (WordPress classic): make paragraphs first. */
  autoParagraphs?: boolean;
}

/** A fragment or a whole page → clean markdown and what was cut. */
export function htmlToMarkdown(html: string, rules: readonly CleanRule[], options: HtmlOptions = {}): { markdown: string; removed: RemovedPart[] } {
  const doc = parseHtml(html);
  const body = doc.body ?? doc.documentElement;
  if (options.autoParagraphs) autoParagraphs(body);
  const removed = cleanHtml(body, rules);
  return { markdown: toMarkdown(body), removed };
}

/** The text of an element with its blocks apart ("Sign up" + "New essays", not "Sign upNew essays"). */
export function readableText(el: Node): string {
  const parts: string[] = [];
  const walk = (n: Node) => {
    if (n.nodeType === 3) parts.push(n.textContent ?? '');
    else if (n.nodeType === 1) {
      const block = BLOCKS.has(n.nodeName) || n.nodeName === 'BR';
      if (block) parts.push(' ');
      n.childNodes.forEach(walk);
      if (block) parts.push(' ');
    }
  };
  walk(el);
  return squash(parts.join(''));
}

function within(el: Node, root: Node): boolean {
  for (let n: Node | null = el; n; n = n.parentNode) if (n === root) return true;
  return false;
}

/** Whitespace as one space. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
