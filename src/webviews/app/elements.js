// Registers the @vscode-elements custom elements the dashboard uses, and pulls in
// its style sheets (esbuild gathers them into dist/webviews/dashboard.css).
// Plain JavaScript on purpose: these packages are ES modules only, and the
// project's TypeScript checks src/ as CommonJS (Node16), which cannot import
// them; the browser bundle can. elements.d.ts tells TypeScript there is nothing
// to import from here.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import 'uplot/dist/uPlot.min.css';
import '../../../media/dashboard.css';
