import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startObservedService, type ObservedService } from './observed-service';
import { clients, call } from '../helpers/clients';
import { registry } from '../../src/observability/metrics';
import { MediaType } from '../../src/api/generated/cxr/v1/inference_service';
import { dicomWithPatient } from './patient-dicom';

const root = join(__dirname, '..', '..');
const promDir = join(root, 'deploy', 'prometheus');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const NEEDS = 'needs Debian\'s prometheus package (apt-get install prometheus)';

function promtool(args: string[], cwd = root): void {
  const res = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  assert.equal(res.status, 0, `promtool ${args.join(' ')}:\n${res.stdout}${res.stderr}`);
}

test('promtool accepts the alerting rules and the scrape config', { skip: !hasPromtool && NEEDS }, () => {
  promtool(['check', 'rules', join(promDir, 'rules.yml')]);
  promtool(['check', 'config', join(promDir, 'prometheus.yml')]);
});

test('each alert fires on the series that should trigger it (promtool test rules)', { skip: !hasPromtool && NEEDS }, () => {
  promtool(['test', 'rules', 'rules.test.yml'], promDir);
});

test('rules and dashboard name only metrics the service exposes', async () => {
  const exposed = new Set<string>(['up']);
  for (const m of await registry.getMetricsAsJSON()) {
    exposed.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exposed.add(m.name + s);
  }
  const dashboard = readFileSync(join(root, 'deploy', 'grafana', 'cxr-vit-dashboard.json'), 'utf8');
  JSON.parse(dashboard);
  for (const [file, text] of [['rules.yml', readFileSync(join(promDir, 'rules.yml'), 'utf8')], ['dashboard', dashboard]]) {
    const used = new Set(text.match(/\b(?:cxr|nodejs|process)_[a-z0-9_]+/g) ?? []);
    assert.ok(used.size > 5, `${file} queries metrics`);
    for (const name of used) assert.ok(exposed.has(name), `${file} uses ${name}, which the service does not expose`);
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let prom: ChildProcess | undefined;
let svc: ObservedService | undefined;
let promTmp: string | undefined;
after(async () => {
  prom?.kill('SIGTERM');
  await svc?.stop();
  if (promTmp) rmSync(promTmp, { recursive: true, force: true });
});

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a real Prometheus scrapes the service and PromQL sees the calls', { skip: !hasPrometheus && NEEDS, timeout: 60_000 }, async () => {
  // The demo model makes Predict real once serve.ts wires the metrics in (see observed-service.ts).
  svc = await startObservedService({ 'bootstrap.demoModel': true });
  const c = clients(svc.address);
  const calls = 5;
  const predicts = 3;
  const image = { id: 'img-1', data: dicomWithPatient(32), mediaType: MediaType.MEDIA_TYPE_DICOM };
  try {
    for (let i = 0; i < calls; i++) await call(c.models.listModels.bind(c.models), {});
    // Whatever the build answers (OK once a model is served; UNIMPLEMENTED/NOT_FOUND before),
    // each Predict must be counted exactly once.
    for (let i = 0; i < predicts; i++) {
      await call(c.inference.predict.bind(c.inference), { modelName: 'cxr-demo', modelVersion: '', images: [image] }).catch(() => undefined);
    }
  } finally {
    c.close();
  }

  promTmp = mkdtempSync(join(tmpdir(), 'cxr-prom-'));
  const port = await freePort();
  const config = join(promTmp, 'prometheus.yml');
  // The deployed rules load too: a rule the live server rejects would fail startup.
  writeFileSync(config, [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: ['${join(promDir, 'rules.yml')}']`,
    'scrape_configs:',
    '  - job_name: cxr-vit',
    `    static_configs: [{ targets: ['127.0.0.1:${svc.metricsPort}'] }]`,
    '',
  ].join('\n'));
  let log = '';
  prom = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(promTmp, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout!.on('data', (d: Buffer) => (log += d));
  prom.stderr!.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<never>((_, reject) => prom!.once('exit', (code) => reject(new Error(`prometheus exited ${code}:\n${log}`))));
  exited.catch(() => undefined);

  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };
  const series = await Promise.race([exited, until('the ListModels series in Prometheus', 30_000, async () => {
    const r = await query('cxr_requests_total{job="cxr-vit",rpc="cxr.v1.ModelService/ListModels"}');
    return r.length > 0 ? r : undefined;
  })]);
  assert.equal(series.length, 1);
  assert.equal(series[0].metric.code, 'OK');
  assert.equal(Number(series[0].value[1]), calls);
  const predicted = await query('sum(cxr_requests_total{job="cxr-vit",rpc="cxr.v1.InferenceService/Predict"})');
  assert.equal(Number(predicted[0]?.value[1]), predicts);
  const up = await query('up{job="cxr-vit"}');
  assert.equal(up[0]?.value[1], '1');
  // The recording rule over the same series evaluates on the live server.
  const rules = (await (await fetch(`http://127.0.0.1:${port}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string; name: string }[] }[] } };
  const unhealthy = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
  assert.deepEqual(unhealthy, []);
});
