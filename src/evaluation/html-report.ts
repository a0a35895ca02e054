import type { Report, ReportLabel } from './report';
import { fixed, formatP } from './report-format';
import { renderRocSvg } from './roc-chart';

/**
 * The report as one self-contained HTML page: inline SVG ROC curves per label (no script, no
 * network at view time) and the study's table. Every user-supplied string is escaped.
 */
export async function renderHtmlReport(report: Report): Promise<string> {
  const charts: string[] = [];
  for (const label of report.labels) {
    if (report.undefinedLabels.some((u) => u.label === label)) continue;
    charts.push(`<figure class="roc" data-label="${esc(label)}">${await renderRocSvg(report, label)}</figure>`);
  }
  const b = report.bootstrap;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.title)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr.mean td { font-weight: bold; border-top: 2px solid #888; }
.ci { color: #666; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.roc { margin: 0; }
.note { color: #555; font-size: 13px; max-width: 60em; }
</style>
</head>
<body>
<h1>${esc(report.title)}</h1>
<p class="note">${report.split ? `Split: ${esc(report.split)}. ` : ''}${report.n} images, ${report.labels.length} labels.
Bootstrap: ${b.resamples} paired resamples, seed ${b.seed} (indices SHA-256 <code>${esc(b.indicesSha256.slice(0, 16))}…</code>).
AUROC is the bootstrap mean ± SD with the ${pct(report.level)} percentile interval; the point estimate and the DeLong interval are in the JSON report.
P is one-sided: the fraction of resamples in which the first model's AUROC was not higher; BH = Benjamini-Hochberg across labels.
Sensitivity / specificity at each model's Youden threshold. Created ${esc(report.createdAt)}.</p>
${undefinedNote(report)}
<h2>AUROC per label</h2>
${aurocTable(report)}
<h2>Operating points (Youden)</h2>
${operatingTable(report)}
<h2>ROC curves</h2>
<div class="charts">
${charts.join('\n')}
</div>
</body>
</html>
`;
}

function aurocTable(report: Report): string {
  const head = [
    '<th>Label</th>',
    ...report.models.map((m) => `<th>${esc(m.name)}<br>AUROC ± SD</th>`),
    ...report.comparisons.map((c) => `<th>P ${esc(c.a)} &gt; ${esc(c.b)}<br>bootstrap (BH)</th><th>DeLong P<br>(BH)</th>`),
    ...report.models.map((m) => `<th>${esc(m.name)}<br>sens / spec</th>`),
  ];
  const B = report.bootstrap.resamples;
  const rows = report.labels.map((label) => {
    const cells = [`<td>${esc(label)}</td>`];
    for (const m of report.models) cells.push(`<td>${aurocCell(find(m.labels, label))}</td>`);
    for (const c of report.comparisons) {
      const e = c.labels.find((x) => x.label === label);
      if (!e) {
        cells.push('<td>—</td><td>—</td>');
        continue;
      }
      cells.push(`<td>${formatP(e.bootstrap.defined ? e.bootstrap.p : null, B)} (${formatP(e.pBootstrapAdjusted, B)})</td>`);
      cells.push(`<td>${formatP(e.delong.defined ? e.delong.pOneSided : null)} (${formatP(e.pDelongAdjusted)})</td>`);
    }
    for (const m of report.models) {
      const s = find(m.labels, label);
      cells.push(`<td>${s && s.defined ? `${fixed(s.youden.sensitivity)} / ${fixed(s.youden.specificity)}` : '—'}</td>`);
    }
    return `<tr data-label="${esc(label)}">${cells.join('')}</tr>`;
  });
  const mean = ['<td>Mean</td>'];
  for (const m of report.models) {
    const b = m.mean.defined && m.mean.bootstrap.defined ? m.mean.bootstrap : null;
    mean.push(`<td>${b ? `${fixed(b.mean)} ± ${fixed(b.sd)}<br><span class="ci">[${fixed(b.ci[0])}, ${fixed(b.ci[1])}]</span>` : m.mean.defined ? fixed(m.mean.auroc) : 'undefined'}</td>`);
  }
  for (const c of report.comparisons) {
    const e = c.mean;
    const bp = 'bootstrap' in e && e.bootstrap.defined ? e.bootstrap.p : null;
    const dp = 'delong' in e && e.delong.defined ? e.delong.pOneSided : null;
    mean.push(`<td>${formatP(bp, B)}</td><td>${formatP(dp)}</td>`);
  }
  for (let i = 0; i < report.models.length; i++) mean.push('<td></td>');
  return `<table class="auroc"><thead><tr>${head.join('')}</tr></thead><tbody>
${rows.join('\n')}
<tr class="mean">${mean.join('')}</tr>
</tbody></table>`;
}

function aurocCell(s: ReportLabel | undefined): string {
  if (!s) return '—';
  if (!s.defined) return `undefined (${esc(s.reason)})`;
  if (!s.bootstrap.defined) return `${fixed(s.auroc)}`;
  const b = s.bootstrap;
  const skipped = b.resamplesSkipped > 0 ? ` <span class="ci">(${b.resamplesSkipped} resamples skipped)</span>` : '';
  return `${fixed(b.mean)} ± ${fixed(b.sd)}<br><span class="ci">[${fixed(b.ci[0])}, ${fixed(b.ci[1])}]</span>${skipped}`;
}

function operatingTable(report: Report): string {
  const head = '<th>Label</th><th>Model</th><th>Threshold</th><th>Sensitivity</th><th>Specificity</th><th>Accuracy</th><th>F1</th><th>Precision</th><th>NPV</th><th>AUROC</th><th>DeLong CI</th>';
  const rows: string[] = [];
  for (const label of report.labels) {
    for (const m of report.models) {
      const s = find(m.labels, label);
      if (!s || !s.defined) continue;
      const y = s.youden;
      const dl = s.delong.defined ? `[${fixed(s.delong.ci[0])}, ${fixed(s.delong.ci[1])}]` : '—';
      rows.push(`<tr><td>${esc(label)}</td><td>${esc(m.name)}</td><td>${fixed(y.threshold, 4)}</td><td>${fixed(y.sensitivity)}</td><td>${fixed(y.specificity)}</td><td>${fixed(y.accuracy)}</td><td>${fixed(y.f1)}</td><td>${fixed(y.precision)}</td><td>${fixed(y.npv)}</td><td>${fixed(s.auroc)}</td><td>${dl}</td></tr>`);
    }
  }
  return `<table class="operating-points"><thead><tr>${head}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function undefinedNote(report: Report): string {
  if (report.undefinedLabels.length === 0) return '';
  const items = report.undefinedLabels.map((u) => `<li>${esc(u.label)}: ${esc(u.detail)}; excluded from the mean.</li>`);
  return `<div class="undefined-labels"><h2>Labels without an AUROC</h2><ul>${items.join('')}</ul></div>`;
}

function find(labels: ReportLabel[], label: string): ReportLabel | undefined {
  return labels.find((s) => s.label === label);
}

function pct(level: number): string {
  return `${Number((level * 100).toPrecision(4))}%`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
