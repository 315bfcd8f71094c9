// The HTML parser turndown uses in Node (a server-side DOM); only what the importers call.
declare module '@mixmark-io/domino' {
  export function createDocument(html?: string, force?: boolean): Document;
}
