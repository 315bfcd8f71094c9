// For bench/rewrite_voice.py: the editor's own reading of a rewrite (src/inference/rewriteCleanup.ts)
// and the editor's rewrite wording (src/core/dataset/prompts.ts), over JSON on stdin.
//   {"op": "templates"}                                → the rewrite templates (manifest.json `prompts`)
//   {"op": "clean", "items": [{"output", "draft"}]}    → [{"text": passage or null, "removed": [kinds]}]
import { rewriteTemplates } from '../src/core/dataset/prompts';
import { readRewrite } from '../src/inference/rewriteCleanup';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const request = JSON.parse(input) as { op: string; items?: Array<{ output: string; draft: string }> };
  const answer = request.op === 'templates'
    ? rewriteTemplates()
    : (request.items ?? []).map(({ output, draft }) => {
      const reading = readRewrite(output, draft);
      return { text: reading.text ?? null, removed: reading.removed.map((r) => r.kind) };
    });
  process.stdout.write(JSON.stringify(answer));
});
