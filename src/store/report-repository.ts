import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Db } from './database';
import { writeFileAtomic } from './atomic-file';
import { notFound } from '../errors/cxr-error';

export interface ReportRecord {
  id: string;
  kind: 'EVALUATION' | 'COMPARISON';
  jobId: string | null;
  summary: Record<string, unknown>;
  createdAt: string;
}

/** Reports: a row for listing plus the full JSON (and rendered HTML) as files. */
export class ReportRepository {
  constructor(
    private readonly db: Db,
    private readonly reportsDir: string,
  ) {}

  save(args: { kind: ReportRecord['kind']; jobId?: string; summary?: Record<string, unknown>; report: unknown; html?: string }): ReportRecord {
    const id = randomUUID();
    const dir = join(this.reportsDir, id);
    writeFileAtomic(join(dir, 'report.json'), JSON.stringify(args.report));
    if (args.html !== undefined) writeFileAtomic(join(dir, 'report.html'), args.html);
    const now = new Date().toISOString();
    this.db
      .prepare('INSERT INTO reports (id, kind, job_id, summary, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, args.kind, args.jobId ?? null, JSON.stringify(args.summary ?? {}), now);
    return this.get(id);
  }

  get(id: string): ReportRecord {
    const r = this.db.prepare('SELECT * FROM reports WHERE id = ?').get(id) as
      | { id: string; kind: ReportRecord['kind']; job_id: string | null; summary: string; created_at: string }
      | undefined;
    if (!r) throw notFound(`report ${JSON.stringify(id)} does not exist`);
    return { id: r.id, kind: r.kind, jobId: r.job_id, summary: JSON.parse(r.summary) as Record<string, unknown>, createdAt: r.created_at };
  }

  readJson(id: string): string {
    this.get(id);
    return readFileSync(join(this.reportsDir, id, 'report.json'), 'utf8');
  }

  /** The stored HTML rendering, or null when the report has none. */
  readHtml(id: string): string | null {
    this.get(id);
    const p = join(this.reportsDir, id, 'report.html');
    return existsSync(p) ? readFileSync(p, 'utf8') : null;
  }
}
