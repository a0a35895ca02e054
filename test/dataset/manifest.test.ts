import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejectsInvalid as rejects } from '../helpers/assertions';
import { parseManifest, splitRows } from '../../src/dataset/manifest';
import { labelStatistics } from '../../src/dataset/label-statistics';

function fixture(): { root: string; outside: string; done: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'cxr-manifest-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'img'), { recursive: true });
  mkdirSync(outside);
  for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(root, 'img', `${n}.png`), 'x');
  writeFileSync(join(outside, 'secret.png'), 'x');
  symlinkSync(join(outside, 'secret.png'), join(root, 'img', 'link.png'));
  return { root, outside, done: () => rmSync(base, { recursive: true, force: true }) };
}

test('parses labels with the study conventions and default label columns', () => {
  const f = fixture();
  try {
    const csv = [
      'path,split,patient,Effusion,Edema',
      'img/a.png,train,P001,1,-1',
      'img/b.png,train,P002,,1.0',
      'img/c.png,val,P003,0,0',
      'img/d.png,test,P003,-1,1',
    ].join('\n');
    const m = parseManifest(csv, { dataRoot: f.root, patientColumn: 'patient' });
    assert.deepEqual(m.labels, ['Effusion', 'Edema']);
    assert.deepEqual(m.rows.map((r) => [...r.targets]), [[1, 0], [0, 1], [0, 0], [0, 1]]);
    assert.deepEqual(m.splitCounts, { train: 2, val: 1, test: 1 });
    assert.equal(m.rows[3].patientId, 'P003');
    assert.equal(m.rows[0].imagePath, join(f.root, 'img', 'a.png'));
    const pos = parseManifest(csv, { dataRoot: f.root, patientColumn: 'patient', labels: { uncertain: 'positive' } });
    assert.deepEqual(pos.rows.map((r) => [...r.targets]), [[1, 1], [0, 1], [0, 0], [1, 1]]);
    assert.equal(splitRows(m, 'train').length, 2);
    rejects(() => splitRows(m, 'validation'), /no rows in split 'validation'/);
  } finally {
    f.done();
  }
});

test('graded labels use the >= k threshold and explicit label columns select and order', () => {
  const f = fixture();
  try {
    const csv = 'split,path,Cardiomegaly,Other,Congestion\ntrain,img/a.png,3,9,0\ntrain,img/b.png,2,9,4\n';
    const m = parseManifest(csv, { dataRoot: f.root, labelColumns: ['Congestion', 'Cardiomegaly'], labels: { positiveAtOrAbove: 3 } });
    assert.deepEqual(m.labels, ['Congestion', 'Cardiomegaly']);
    assert.deepEqual(m.rows.map((r) => [...r.targets]), [[0, 1], [1, 0]]);
  } finally {
    f.done();
  }
});

test('paths escaping the data root are rejected naming the row, not the path', () => {
  const f = fixture();
  try {
    const head = 'path,split,L\nimg/a.png,train,1\n';
    const e1 = rejects(() => parseManifest(head + '../outside/secret.png,train,0\n', { dataRoot: f.root }), /manifest row 2: path escapes the data root/);
    assert.doesNotMatch(e1.message, /secret/);
    rejects(() => parseManifest(head + `${join(f.outside, 'secret.png')},train,0\n`, { dataRoot: f.root }), /manifest row 2: .*not absolute/);
    rejects(() => parseManifest(head + 'img/../../outside/secret.png,train,0\n', { dataRoot: f.root }), /row 2: path escapes/);
    const e2 = rejects(() => parseManifest(head + 'img/link.png,train,0\n', { dataRoot: f.root }), /row 2: .*symlink/);
    assert.doesNotMatch(e2.message, /link\.png|secret/);
    rejects(() => parseManifest(head + 'img/missing-PATIENT-NAME.png,train,0\n', { dataRoot: f.root }), /row 2: file does not exist/);
    // `..` that stays inside is fine.
    assert.equal(parseManifest(head + 'img/../img/b.png,train,0\n', { dataRoot: f.root }).rows.length, 2);
  } finally {
    f.done();
  }
});

test('malformed manifests are rejected up front with the row and column', () => {
  const f = fixture();
  try {
    rejects(() => parseManifest('', { dataRoot: f.root }), /empty/);
    rejects(() => parseManifest('path,split,L\n', { dataRoot: f.root }), /no image rows/);
    rejects(() => parseManifest('file,split,L\nimg/a.png,train,1\n', { dataRoot: f.root }), /no column 'path'/);
    rejects(() => parseManifest('path,split\nimg/a.png,train\n', { dataRoot: f.root }), /no label columns/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train,yes\n', { dataRoot: f.root }), /row 1, column 'L': label is not a number/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train,-2\n', { dataRoot: f.root }), /row 1, column 'L': label is negative/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train\n', { dataRoot: f.root }), /not valid CSV/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,,1\n', { dataRoot: f.root }), /row 1: split is blank/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train,\n', { dataRoot: f.root, labels: { blank: 'reject' } }), /row 1, column 'L': label is blank/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train,1\n', { dataRoot: f.root, labelColumns: ['M'] }), /no column 'M'/);
    rejects(() => parseManifest('path,split,L\nimg/a.png,train,1\n', { dataRoot: join(f.root, 'nope') }), /data root does not exist/);
  } finally {
    f.done();
  }
});

test('pos_weight = (N - P) / P from the rows given; a label without positives is an error', () => {
  const f = fixture();
  try {
    const csv = 'path,split,A,B\nimg/a.png,train,1,0\nimg/b.png,train,0,1\nimg/c.png,train,0,1\nimg/d.png,train,0,1\n';
    const m = parseManifest(csv, { dataRoot: f.root });
    const s = labelStatistics(splitRows(m, 'train'), m.labels);
    assert.equal(s.count, 4);
    assert.deepEqual(s.positives, [1, 3]);
    assert.deepEqual(s.posWeight, [3, 1 / 3]);
    const none = parseManifest('path,split,A,B\nimg/a.png,train,1,0\n', { dataRoot: f.root });
    rejects(() => labelStatistics(none.rows, none.labels), /'B' have no positive example/);
  } finally {
    f.done();
  }
});
