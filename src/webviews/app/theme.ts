// Chart colours come from the VS Code theme (--vscode-charts-*), read when a
// chart is built. VS Code swaps the body class (vscode-light / vscode-dark /
// vscode-high-contrast[-light]) and the variables on a theme change, so charts
// are rebuilt when that class changes.
import type { ChartSeries } from '../chartModel';

export interface ChartTheme {
  foreground: string;
  grid: string;
  highContrast: boolean;
  series(s: ChartSeries, chartId: string): { stroke: string; width: number; dash?: number[]; alpha: number };
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export function currentTheme(): ChartTheme {
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const c = {
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    green: cssVar('--vscode-charts-green', '#89d185'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
  };
  const foreground = cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#cccccc'));
  const grid = cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)');
  const single: Record<string, string> = { ppl: c.orange, lr: c.green, speed: c.yellow };
  return {
    foreground,
    grid,
    highContrast,
    series(s, chartId) {
      // Thicker, opaque lines in high contrast; the raw loss is a faint line under its smoothed twin.
      const width = highContrast ? 2.5 : 1.5;
      if (chartId === 'voice') {
        // Two eval-point series on one chart: the score and the attributed share need their own colours.
        const attributed = s.id.endsWith('voice-attributed');
        return s.run === 'compare'
          ? { stroke: attributed ? c.red : c.purple, width, dash: [6, 4], alpha: 1 }
          : { stroke: attributed ? c.blue : c.green, width, alpha: 1 };
      }
      if (s.run === 'compare') return { stroke: s.role === 'val' ? c.red : c.purple, width, dash: [6, 4], alpha: 1 };
      if (chartId !== 'loss') return { stroke: single[chartId] ?? c.blue, width, alpha: 1 };
      if (s.role === 'raw') return { stroke: c.blue, width: 1, alpha: highContrast ? 1 : 0.35 };
      if (s.role === 'val') return { stroke: c.orange, width, alpha: 1 };
      return { stroke: c.blue, width: width + 0.5, alpha: 1 };
    },
  };
}

/** Calls back whenever VS Code switches the theme kind or the theme itself (same kind, new colours). */
export function onThemeChange(callback: () => void): void {
  new MutationObserver(callback).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
}
