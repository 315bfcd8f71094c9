// The markdown parser (remark: micromark + GFM + front matter), loaded once.
// remark is ESM-only and this package compiles to CommonJS, hence the dynamic import.

import type { Root } from 'mdast';

export type MarkdownParser = (markdown: string) => Root;

let parser: Promise<MarkdownParser> | undefined;

export function loadMarkdownParser(): Promise<MarkdownParser> {
  parser ??= (async () => {
    const [{ unified }, { default: remarkParse }, { default: remarkFrontmatter }, { default: remarkGfm }] = await Promise.all([
      import('unified'),
      import('remark-parse'),
      import('remark-frontmatter'),
      import('remark-gfm'),
    ]);
    const processor = unified().use(remarkParse).use(remarkFrontmatter, ['yaml']).use(remarkGfm).freeze();
    return (markdown: string) => processor.parse(markdown);
  })();
  return parser;
}
