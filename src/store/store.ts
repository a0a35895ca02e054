import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase, type Db } from './database';
import { ModelRepository } from './model-repository';
import { JobRepository } from './job-repository';
import { ReportRepository } from './report-repository';
import { PredictionRepository } from './prediction-repository';

/**
 * Everything durable lives under one data directory:
 *   cxr.db            SQLite database (models, versions, jobs, reports, predictions)
 *   models/<name>/<v>/ a version's weights, graphs
 *   jobs/<id>/        a job's checkpoints and logs
 *   reports/<id>/     report.json, report.html
 *   predictions/      stored scores reused by Compare
 *   staging/          private work directories; emptied at every start
 */
export class Store {
  readonly dataDir: string;
  readonly db: Db;
  readonly models: ModelRepository;
  readonly jobs: JobRepository;
  readonly reports: ReportRepository;
  readonly predictions: PredictionRepository;
  private readonly stagingRoot: string;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    for (const d of ['models', 'jobs', 'reports', 'predictions']) mkdirSync(join(this.dataDir, d), { recursive: true });
    this.stagingRoot = join(this.dataDir, 'staging');
    // Whatever is in staging belonged to work that never finished: it was never registered.
    rmSync(this.stagingRoot, { recursive: true, force: true });
    mkdirSync(this.stagingRoot, { recursive: true });
    this.db = openDatabase(join(this.dataDir, 'cxr.db'));
    this.models = new ModelRepository(this.db, join(this.dataDir, 'models'));
    this.jobs = new JobRepository(this.db);
    this.reports = new ReportRepository(this.db, join(this.dataDir, 'reports'));
    this.predictions = new PredictionRepository(this.db, join(this.dataDir, 'predictions'));
  }

  /** A fresh private directory for building artefacts before they are registered. */
  createStagingDir(prefix = 'work'): string {
    return mkdtempSync(join(this.stagingRoot, `${prefix}-`));
  }

  /** A job's own directory (checkpoints), created on first use. */
  jobDir(jobId: string): string {
    const d = join(this.dataDir, 'jobs', jobId);
    mkdirSync(d, { recursive: true });
    return d;
  }

  close(): void {
    this.db.close();
  }
}

export function openStore(dataDir: string): Store {
  return new Store(dataDir);
}
