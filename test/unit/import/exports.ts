// Small hand-made exports of each platform, built in the test from strings (texts in the
// public domain: Thoreau's "Walking", 1862; Emerson's "Nature", 1836; Bierce's Devil's
// Dictionary, 1911), in the shapes the platforms write. Nasty ones included.

import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { folderWith } from '../corpus/fixtures';

export const WALKING =
  'I wish to speak a word for Nature, for absolute freedom and wildness, as contrasted with a freedom and culture merely civil, to regard man as an inhabitant, or a part and parcel of Nature, rather than a member of society.';
export const WALKING_2 =
  'I have met with but one or two persons in the course of my life who understood the art of Walking, that is, of taking walks, who had a genius, so to speak, for sauntering.';
export const NATURE =
  'To go into solitude, a man needs to retire as much from his chamber as from society. I am not solitary whilst I read and write, though nobody is with me.';
export const NATURE_2 =
  'The stars awaken a certain reverence, because though always present, they are inaccessible; but all natural objects make a kindred impression, when the mind is open to their influence.';
export const BIERCE = 'CYNIC, n. A blackguard whose faulty vision sees things as they are, not as they ought to be.';

/**
 * An export written as `name` into a fresh folder, removed when test `t` ends: `input` is
 * the file, `out` a folder beside it to import into (not made yet).
 */
export async function exportIn(t: TestContext, name: string, content: string | Uint8Array): Promise<{ dir: string; input: string; out: string }> {
  const { dir, cleanup } = await folderWith({ [name]: typeof content === 'string' ? content : Buffer.from(content) });
  t.after(cleanup);
  return { dir, input: path.join(dir, name), out: path.join(dir, 'out') };
}

export const zip = (files: Record<string, string | Uint8Array>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? strToU8(v) : v])) as Zippable);

// ---- Substack ------------------------------------------------------------------

export const SUBSTACK_CSV = [
  'post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,podcast_url',
  '101.walking,2021-03-04T10:00:00.000Z,true,2021-03-04T10:00:05.000Z,,newsletter,everyone,Walking,"On sauntering, and the Holy Land",',
  '102.solitude,2021-04-01T09:00:00.000Z,true,2021-04-01T09:00:00.000Z,,newsletter,only_paid,Solitude,,',
  '103.a-draft,2021-05-01T09:00:00.000Z,false,,,newsletter,everyone,An unfinished thought,,',
  '104.episode-one,2021-06-01T09:00:00.000Z,true,,,podcast,everyone,Episode one,,https://example.com/ep1.mp3',
].join('\n');

export const SUBSTACK_WALKING_HTML = `<div class="captioned-image-container"><figure><img src="https://substackcdn.com/image.jpg"><figcaption class="image-caption">A path in the woods near Concord</figcaption></figure></div>
<p>${WALKING}</p>
<div class="subscription-widget-wrap-editor" data-attrs="{}"><div class="subscription-widget show-subscribe"><div class="preamble"><p class="cta-caption">Thanks for reading The Saunterer! Subscribe for free to receive new posts and support my work.</p></div><form class="subscription-widget-subscribe"><input type="email" placeholder="Type your email..."><input type="submit" value="Subscribe"></form></div></div>
<p>${WALKING_2}</p>
<div class="pullquote"><p>who understood the art of Walking</p></div>
<p class="button-wrapper" data-attrs="{}"><a class="button primary" href="https://saunterer.substack.com/p/walking?utm_source=substack&amp;utm_medium=email&amp;utm_content=share&amp;action=share"><span>Share</span></a></p>
<div class="youtube-wrap" id="youtube2-abc"><div class="youtube-inner"><iframe src="https://www.youtube-nocookie.com/embed/abc"></iframe></div></div>`;

export const SUBSTACK_SOLITUDE_HTML = `<p>${NATURE}</p><div class="paywall-jump" data-component-name="PaywallToDOM"></div><p>${NATURE_2}</p><script>track('view')</script><style>p { color: red }</style>`;

export function substackZip(options: { withCsv?: boolean; binaryPost?: boolean } = {}): Uint8Array {
  const files: Record<string, string | Uint8Array> = {
    'posts/101.walking.html': SUBSTACK_WALKING_HTML,
    'posts/101.walking.opens.csv': 'email,timestamp\n',
    'posts/102.solitude.html': SUBSTACK_SOLITUDE_HTML,
    'posts/103.a-draft.html': `<p>${BIERCE}</p>`,
    'posts/104.episode-one.html': '<p>In this episode we talk about walking. Links below.</p>',
    'email_list.saunterer.csv': 'email,active_subscription\n',
  };
  if (options.withCsv !== false) files['posts.csv'] = SUBSTACK_CSV;
  if (options.binaryPost) files['posts/105.broken.html'] = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  return zip(files);
}

// ---- Medium --------------------------------------------------------------------

export function mediumStory(o: { title: string; subtitle?: string; paragraphs: string[]; date: string; id: string }): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${o.title}</title><style>body { margin: 0 }</style></head><body><article class="h-entry">
<header><h1 class="p-name">${o.title}</h1></header>
${o.subtitle ? `<section data-field="subtitle" class="p-summary">${o.subtitle}</section>` : ''}
<section data-field="body" class="e-content"><section name="a1" class="section section--body section--first"><div class="section-divider"><hr class="section-divider"></div><div class="section-content"><div class="section-inner sectionLayout--insetColumn">
<h3 class="graf graf--h3 graf--leading graf--title">${o.title}</h3>${o.subtitle ? `<h4 class="graf graf--h4 graf--subtitle">${o.subtitle}</h4>` : ''}
${o.paragraphs.map((p) => `<p class="graf graf--p">${p}</p>`).join('\n')}
<figure class="graf graf--figure"><img class="graf-image" src="https://cdn-images-1.medium.com/x.png"><figcaption class="imageCaption">Photo by someone on Unsplash</figcaption></figure>
<div class="graf graf--mixtapeEmbed"><a href="https://medium.com/p/other">Another story — a link card</a></div>
</div></div></section></section>
<footer><p>By <a href="https://medium.com/@saunterer" class="p-author h-card">Henry Saunterer</a> on <a href="https://medium.com/p/${o.id}"><time class="dt-published" datetime="${o.date}">a date</time></a>.</p><p><a href="https://medium.com/@saunterer/x-${o.id}" class="p-canonical">Canonical link</a></p><p>Exported from <a href="https://medium.com">Medium</a> on May 1, 2024.</p></footer></article></body></html>`;
}

export function mediumZip(): Uint8Array {
  return zip({
    'README.html': '<html><body><p>This archive contains your Medium data.</p></body></html>',
    'profile/profile.html': '<html><body><h3>Henry Saunterer</h3></body></html>',
    'posts/2019-01-02_Walking-3f2a1b9c8d7e.html': mediumStory({ title: 'Walking', subtitle: 'A word for Nature', paragraphs: [WALKING, WALKING_2], date: '2019-01-02T10:00:00.000Z', id: '3f2a1b9c8d7e' }),
    'posts/draft_Nature-0a1b2c3d4e5f.html': mediumStory({ title: 'Nature', paragraphs: [NATURE], date: '2019-02-03T10:00:00.000Z', id: '0a1b2c3d4e5f' }),
    'posts/2019-03-01_Scripts-9a8b7c6d5e4f.html': `<html><head><script>alert("x")</script></head><body><article><section data-field="body"><p>${NATURE_2}</p><script>document.write("tracking")</script><style>.x{}</style><noscript>Enable JavaScript</noscript></section></article></body></html>`,
    'bookmarks/bookmarks-0001.html': '<html><body></body></html>',
  });
}

// ---- WordPress (WXR) -----------------------------------------------------------

export function wxrItem(o: { id: number; title: string; content: string; status?: string; type?: string; tags?: string[]; date?: string; password?: string }): string {
  return `<item>
<title>${o.title}</title>
<link>https://saunterer.example.com/${o.id}/</link>
<pubDate>Mon, 01 Jan 2018 12:00:00 +0000</pubDate>
<dc:creator><![CDATA[henry]]></dc:creator>
<guid isPermaLink="false">https://saunterer.example.com/?p=${o.id}</guid>
<description></description>
<content:encoded><![CDATA[${o.content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>${o.id}</wp:post_id>
<wp:post_date><![CDATA[${o.date ?? '2018-01-01 12:00:00'}]]></wp:post_date>
<wp:post_date_gmt><![CDATA[${o.date ?? '2018-01-01 12:00:00'}]]></wp:post_date_gmt>
<wp:post_name><![CDATA[post-${o.id}]]></wp:post_name>
<wp:status><![CDATA[${o.status ?? 'publish'}]]></wp:status>
<wp:post_type><![CDATA[${o.type ?? 'post'}]]></wp:post_type>
<wp:post_password><![CDATA[${o.password ?? ''}]]></wp:post_password>
${(o.tags ?? []).map((t) => `<category domain="post_tag" nicename="${t}"><![CDATA[${t}]]></category>`).join('\n')}
<category domain="category" nicename="uncategorized"><![CDATA[Uncategorized]]></category>
</item>`;
}

export function wxr(items: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>The Saunterer</title>
<link>https://saunterer.example.com</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[henry]]></wp:author_login><wp:author_display_name><![CDATA[Henry D. Thoreau]]></wp:author_display_name></wp:author>
${items.join('\n')}
</channel>
</rss>`;
}

export const WXR_ITEMS = [
  // The classic editor: paragraphs are blank lines, a caption shortcode around an image.
  wxrItem({ id: 11, title: 'Walking &amp; Sauntering', content: `${WALKING}\n\n[caption id="attachment_5" align="alignnone" width="300"]<img src="x.jpg" /> The Concord woods[/caption]\n\n${WALKING_2}`, tags: ['walking', 'nature'] }),
  // The block editor.
  wxrItem({ id: 12, title: 'Nature', content: `<!-- wp:paragraph -->\n<p>${NATURE}</p>\n<!-- /wp:paragraph -->\n<!-- wp:paragraph -->\n<p>Thanks for reading! Subscribe to my newsletter for more.</p>\n<!-- /wp:paragraph -->\n<!-- wp:paragraph -->\n<p>${NATURE_2}</p>\n<!-- /wp:paragraph -->`, status: 'draft' }),
  wxrItem({ id: 13, title: 'About', content: `<p>${BIERCE}</p>`, type: 'page', password: 'secret' }),
  wxrItem({ id: 14, title: 'header.jpg', content: '', type: 'attachment' }),
  wxrItem({ id: 15, title: 'Deleted', content: `<p>${WALKING}</p>`, status: 'trash' }),
];

// ---- Ghost ---------------------------------------------------------------------

export function ghostJson(): string {
  return JSON.stringify({
    db: [
      {
        meta: { exported_on: 1714550400000, version: '5.82.0' },
        data: {
          posts: [
            { id: 'p1', uuid: 'u1', title: 'Walking', slug: 'walking', html: `<p>${WALKING}</p><div class="kg-card kg-signup-card"><h2>Sign up for The Saunterer</h2><p>New essays in your inbox.</p><form><input type="email"></form></div><!--members-only--><p>${WALKING_2}</p><figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" href="https://example.com">A link card</a></figure>`, plaintext: '', status: 'published', visibility: 'paid', type: 'post', published_at: '2022-05-06T08:00:00.000Z', created_at: '2022-05-01T08:00:00.000Z', custom_excerpt: 'A word for Nature' },
            { id: 'p2', uuid: 'u2', title: 'Nature', slug: 'nature', html: `<p>${NATURE}</p><div class="kg-card kg-button-card"><a href="#/portal/signup" class="kg-btn">Subscribe</a></div>`, status: 'draft', visibility: 'public', type: 'post', published_at: null, created_at: '2022-06-01T08:00:00.000Z' },
            { id: 'p3', uuid: 'u3', title: 'Only lexical', slug: 'only-lexical', html: null, plaintext: null, lexical: '{"root":{}}', status: 'published', visibility: 'public', type: 'post', published_at: '2022-07-01T08:00:00.000Z' },
          ],
          tags: [{ id: 't1', name: 'Walking' }, { id: 't2', name: '#internal' }],
          posts_tags: [{ post_id: 'p1', tag_id: 't1', sort_order: 0 }, { post_id: 'p1', tag_id: 't2', sort_order: 1 }],
          users: [{ id: 'a1', name: 'Henry Saunterer' }],
          posts_authors: [{ post_id: 'p1', author_id: 'a1' }],
        },
      },
    ],
  });
}

// ---- Obsidian ------------------------------------------------------------------

export const OBSIDIAN_NOTE = `---
tags: [essay, nature]
aliases: [On Walking]
date: 2023-02-03
---
# Walking

${WALKING} See [[Solitude|my note on solitude]] and [[Concord#The woods]]. %%fix this later%%

![[woods.png]]

> [!note] Why it matters
> ${WALKING_2}

> [!quote] Emerson
> ${NATURE}

This is ==the point== of the whole essay. ^block-1

\`\`\`
code with [[not a link]] and #not-a-tag
\`\`\`

#draft #walking
`;

export function obsidianVaultFiles(): Record<string, string> {
  return {
    '.obsidian/app.json': '{}',
    '.obsidian/daily-notes.json': JSON.stringify({ folder: 'Journal/Days' }),
    '.obsidian/templates.json': JSON.stringify({ folder: 'Meta/Templates' }),
    'Essays/Walking.md': OBSIDIAN_NOTE,
    'Essays/Solitude.md': `${NATURE}\n\n${NATURE_2} #solitude\n`,
    'Journal/Days/2024-01-05.md': 'Went for a walk. Bought bread.',
    'Meta/Templates/Essay template.md': '---\ntags: [essay]\n---\n# {{title}}\n',
    'Inbox/2024-02-01 Thursday.md': 'A daily note outside the daily folder, named by its date.',
    'attachments/woods.png': 'not really a png',
  };
}

// ---- Word ----------------------------------------------------------------------

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

/** A minimal .docx: content types, relationships, styles (Title, Subtitle, Heading 1, Quote), core properties and the body. */
export function docx(o: { title?: string; subtitle?: string; paragraphs: string[]; coreTitle?: string; created?: string; quote?: string }): Uint8Array {
  const para = (text: string, style?: string) => `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const body = [o.title ? para(o.title, 'Title') : '', o.subtitle ? para(o.subtitle, 'Subtitle') : '', ...o.paragraphs.map((p) => para(p)), o.quote ? para(o.quote, 'Quote') : ''].join('');
  const style = (id: string, name: string) => `<w:style w:type="paragraph" w:styleId="${id}"><w:name w:val="${name}"/></w:style>`;
  return zip({
    '[Content_Types].xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`,
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`,
    'word/_rels/document.xml.rels': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    'word/styles.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="${W}">${style('Title', 'Title')}${style('Subtitle', 'Subtitle')}${style('Heading1', 'heading 1')}${style('Quote', 'Quote')}</w:styles>`,
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}"><w:body>${body}</w:body></w:document>`,
    'docProps/core.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${o.coreTitle ? `<dc:title>${o.coreTitle}</dc:title>` : ''}<dc:creator>Henry</dc:creator><cp:keywords>walking, nature</cp:keywords>${o.created ? `<dcterms:created xsi:type="dcterms:W3CDTF">${o.created}</dcterms:created>` : ''}</cp:coreProperties>`,
  });
}
