import type { Report } from './report';

/**
 * One label's ROC curves (every model, with its Youden point) as a vega-lite spec, rendered to a
 * standalone SVG string in Node by vega's headless View: the page needs no script at view time.
 * vega and vega-lite are ES modules, loaded on first use.
 */
export function rocChartSpec(report: Report, label: string): Record<string, unknown> {
  const curves: { model: string; fpr: number; tpr: number; order: number }[] = [];
  const youden: { model: string; fpr: number; tpr: number; threshold: number | null }[] = [];
  for (const m of report.models) {
    const s = m.labels.find((x) => x.label === label);
    if (!s || !s.defined) continue;
    const name = `${m.name} (AUROC ${s.auroc.toFixed(3)})`;
    s.roc.forEach((p, i) => curves.push({ model: name, fpr: p.fpr, tpr: p.tpr, order: i }));
    const y = s.youden;
    youden.push({ model: name, fpr: 1 - (y.specificity ?? 0), tpr: y.sensitivity ?? 0, threshold: y.threshold });
  }
  const x = { field: 'fpr', type: 'quantitative', title: '1 - specificity', scale: { domain: [0, 1] } };
  const y = { field: 'tpr', type: 'quantitative', title: 'sensitivity', scale: { domain: [0, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: label,
    width: 260,
    height: 260,
    config: { font: 'sans-serif', legend: { orient: 'bottom', direction: 'vertical', labelLimit: 320 } },
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999', strokeWidth: 1 },
        encoding: { x, y },
      },
      {
        data: { values: curves },
        mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.8 },
        encoding: { x, y, order: { field: 'order', type: 'quantitative' }, color: { field: 'model', type: 'nominal', title: null } },
      },
      {
        data: { values: youden },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: { x, y, color: { field: 'model', type: 'nominal', title: null } },
      },
    ],
  };
}

export async function renderRocSvg(report: Report, label: string): Promise<string> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = vegaLite.compile(rocChartSpec(report, label) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
