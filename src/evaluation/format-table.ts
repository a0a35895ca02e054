import type { Report } from './report';
import { fixed, formatP } from './report-format';

/**
 * The study's table for a terminal: per label, each model's bootstrap AUROC mean ± SD, each
 * comparison's one-sided bootstrap P (BH-adjusted in brackets) and DeLong P, and each model's
 * sensitivity / specificity at its Youden threshold; the mean AUROC last.
 */
export function formatTable(report: Report): string {
  const B = report.bootstrap.resamples;
  const header = [
    'Label',
    ...report.models.map((m) => `${m.name} AUROC±SD`),
    ...report.comparisons.flatMap((c) => [`P ${c.a}>${c.b} (BH)`, 'DeLong P (BH)']),
    ...report.models.map((m) => `${m.name} sens/spec`),
  ];
  const rows: string[][] = report.labels.map((label) => {
    const row = [label];
    for (const m of report.models) {
      const s = m.labels.find((x) => x.label === label);
      if (!s) row.push('—');
      else if (!s.defined) row.push(`undefined: ${s.reason}`);
      else row.push(s.bootstrap.defined ? `${fixed(s.bootstrap.mean)}±${fixed(s.bootstrap.sd)}` : fixed(s.auroc));
    }
    for (const c of report.comparisons) {
      const e = c.labels.find((x) => x.label === label);
      row.push(e ? `${formatP(e.bootstrap.defined ? e.bootstrap.p : null, B)} (${formatP(e.pBootstrapAdjusted, B)})` : '—');
      row.push(e ? `${formatP(e.delong.defined ? e.delong.pOneSided : null)} (${formatP(e.pDelongAdjusted)})` : '—');
    }
    for (const m of report.models) {
      const s = m.labels.find((x) => x.label === label);
      row.push(s && s.defined ? `${fixed(s.youden.sensitivity)}/${fixed(s.youden.specificity)}` : '—');
    }
    return row;
  });
  const mean = ['Mean'];
  for (const m of report.models) {
    const b = m.mean.defined && m.mean.bootstrap.defined ? m.mean.bootstrap : null;
    mean.push(b ? `${fixed(b.mean)}±${fixed(b.sd)}` : m.mean.defined ? fixed(m.mean.auroc) : 'undefined');
  }
  for (const c of report.comparisons) {
    const e = c.mean;
    mean.push(formatP('bootstrap' in e && e.bootstrap.defined ? e.bootstrap.p : null, B));
    mean.push(formatP('delong' in e && e.delong.defined ? e.delong.pOneSided : null));
  }
  for (let i = 0; i < report.models.length; i++) mean.push('');
  const all = [header, ...rows, mean];
  const widths = header.map((_, c) => Math.max(...all.map((r) => [...r[c]].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = [
    `${report.n} images; ${B} paired bootstrap resamples, seed ${report.bootstrap.seed}; P one-sided (first model better), BH across labels.`,
    ...report.undefinedLabels.map((u) => `${u.label}: ${u.detail}; excluded from the mean.`),
  ];
  return [line(header), rule, ...rows.map(line), rule, line(mean), '', ...notes].join('\n') + '\n';
}
