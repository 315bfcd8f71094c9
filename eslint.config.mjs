import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The core, the engine client and the inference services never import `vscode`:
// the CLI runs them outside the editor, which proves the boundary holds.
const editorFree = {
  files: ['src/core/**/*.ts', 'src/engine/**/*.ts', 'src/inference/**/*.ts', 'src/cli.ts', 'src/cli/**/*.ts', 'src/webviews/app/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      paths: [{ name: 'vscode', message: 'src/core, src/engine, src/inference and the CLI stay editor-free (docs/architecture.md "Rooms").' }],
      patterns: [{ group: ['**/features/**', '**/extension', '**/config'], message: 'Editor-free code must not reach into the VS Code layer.' }],
    }],
  },
};

// The ground floor: src/core stands under everything else and imports none of it.
const ground = {
  files: ['src/core/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      paths: [{ name: 'vscode', message: 'src/core stays editor-free (docs/architecture.md "Rooms").' }],
      patterns: [{
        group: ['**/engine/**', '**/inference/**', '**/features/**', '**/webviews/**', '**/cli/**', '**/cli', '**/extension', '**/config'],
        message: 'src/core is the ground floor: it imports nothing above it (docs/architecture.md "Rooms").',
      }],
    }],
  },
};

// The end-to-end harness is plain Node ESM (.mjs).
const nodeScripts = {
  files: ['**/*.mjs'],
  languageOptions: {
    globals: Object.fromEntries(['process', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'fetch', 'AbortSignal', 'URL']
      .map((name) => [name, 'readonly'])),
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'src/engine/python/**', '.tools/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  editorFree,
  ground,
  nodeScripts,
);
