import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareModels } from '../../src/evaluation/evaluator';
import { renderHtmlReport } from '../../src/evaluation/html-report';
import { buildReport, type Report } from '../../src/evaluation/report';
import { syntheticLabel } from './fixtures';

const n = 2000;
const a = syntheticLabel(n, 0.2, 1.4, 41);
const b = syntheticLabel(n, 0.35, 0.7, 42, 25);
const report: Report = buildReport(
  compareModels({
    labels: ['Effusion', 'Nodule <script>alert(1)</script>', 'Hernia'],
    truth: [a.truth, b.truth, new Uint8Array(n)],
    seed: 3,
    resamples: 100,
    models: [
      { name: 'dinov2', scores: [a.scores, b.scores, a.scores] },
      { name: 'imagenet21k', scores: [a.scores.map((s, i) => s + 0.4 * Math.cos(i)), b.scores.map((s, i) => s + 0.3 * Math.sin(i)), a.scores] },
    ],
  }),
  { title: 'Study comparison', split: 'test' },
);

const chromium = spawnSync('chromium', ['--version'], { encoding: 'utf8' });
const haveChromium = chromium.status === 0;
const CHROME_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-logging=stderr', '--v=0',
];

test('HTML is self-contained: inline SVG per defined label, no script, no external resource', async () => {
  const html = await renderHtmlReport(report);
  assert.doesNotMatch(html, /<script/i, 'user text must be escaped, and the page needs no script');
  assert.match(html, /Nodule &lt;script&gt;/);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i);
  assert.equal((html.match(/<figure class="roc"/g) ?? []).length, 2, 'one ROC chart per label with both classes');
  assert.equal((html.match(/<svg/g) ?? []).length, 2);
});

test(
  'HTML renders in headless Chromium without errors; ROC SVGs and the table are in the DOM',
  { skip: haveChromium ? false : 'chromium not installed (Debian package `chromium`)' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cxr-report-'));
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, await renderHtmlReport(report));
      const run = (extra: string[]) =>
        spawnSync('chromium', [...CHROME_FLAGS, `--user-data-dir=${join(dir, 'profile')}`, ...extra, `file://${file}`], {
          encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024,
        });
      const dom = run(['--dump-dom']);
      assert.equal(dom.status, 0, dom.stderr);
      const problems = dom.stderr.split('\n').filter((l) => /CONSOLE|Uncaught|net::ERR|Failed to load resource|Refused to/.test(l));
      assert.deepEqual(problems, []);
      const figures = dom.stdout.match(/<figure class="roc" data-label="[^"]*"><svg[\s\S]*?<\/svg><\/figure>/g) ?? [];
      assert.equal(figures.length, 2);
      for (const f of figures) assert.match(f, /role-mark[\s\S]*<path/, 'ROC lines drawn');
      assert.match(dom.stdout, /<table class="auroc">/);
      for (const label of ['Effusion', 'Hernia']) assert.match(dom.stdout, new RegExp(`<tr data-label="${label}">`));
      assert.match(dom.stdout, /<tr class="mean">/);
      assert.match(dom.stdout, /undefined \(no-positives\)/);
      const shot = join(dir, 'report.png');
      const screenshot = run(['--window-size=1200,1400', `--screenshot=${shot}`]);
      assert.equal(screenshot.status, 0, screenshot.stderr);
      const png = readFileSync(shot);
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
      assert.equal(png.readUInt32BE(16), 1200);
      assert.ok(statSync(shot).size > 20_000, 'a rendered page, not a blank one');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
