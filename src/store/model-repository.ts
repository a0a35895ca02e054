import { existsSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { Db } from './database';
import { CxrError, notFound, failedPrecondition } from '../errors/cxr-error';

export type ModelVersionState = 'IMPORTING' | 'READY' | 'FAILED';

export interface OperatingPointRecord {
  label: string;
  threshold: number;
  sensitivity: number;
  specificity: number;
}

export interface ProvenanceRecord {
  /** 'dinov2' | 'imagenet21k' | 'mimic-cxr' | 'random' | 'onnx' */
  initKind: string;
  source: string;
  sha256: string;
  checkpointFormat: string;
  posEmbedInterpolation: string;
  headKept: boolean;
  trainingJobId?: string;
}

/** Files of a version, relative to the version's directory. */
export interface ModelVersionFiles {
  /** Canonical weights (safetensors); absent for ONNX models imported as they are. */
  weights?: string;
  /** fp32 inference graph (ONNX). */
  graph: string;
  /** fp16 inference graph for GPU serving, when built. */
  graphFp16?: string;
}

/** What a model version is: everything needed to load, serve, train from and describe it. */
export interface ModelVersionSpec {
  labels: string[];
  preprocessing: string;
  imageSize: number;
  /** The ViT description (src/model/vit-description.ts) as JSON; null for opaque ONNX models. */
  architecture: Record<string, unknown> | null;
  architectureSummary: string;
  provenance: ProvenanceRecord;
  operatingPoints: OperatingPointRecord[];
  usableAsInit: boolean;
  files: ModelVersionFiles;
}

export interface ModelVersionRecord extends ModelVersionSpec {
  modelName: string;
  version: number;
  state: ModelVersionState;
  statusMessage: string;
  createdAt: string;
  /** Absolute directory holding the version's files. */
  dir: string;
}

export interface ModelRecord {
  name: string;
  description: string;
  servingVersion: number | null;
  createdAt: string;
  versions: ModelVersionRecord[];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Model names become directory names: only a safe alphabet is accepted. */
export function validateModelName(name: string, field = 'name'): void {
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw new CxrError('INVALID_ARGUMENT', `model name must be 1-64 letters, digits, '.', '_' or '-' and start with a letter or digit`, {
      violations: [{ field, description: 'invalid model name' }],
    });
  }
}

interface VersionRow {
  model_name: string;
  version: number;
  state: ModelVersionState;
  status_message: string;
  spec: string;
  created_at: string;
}

interface ModelRow {
  name: string;
  description: string;
  serving_version: number | null;
  created_at: string;
}

/**
 * The model registry. A version's files are staged in a private directory first and moved into
 * place in the same step that inserts its row, so a failed import leaves neither row nor files.
 */
export class ModelRepository {
  constructor(
    private readonly db: Db,
    private readonly modelsDir: string,
  ) {}

  versionDir(modelName: string, version: number): string {
    return join(this.modelsDir, modelName, String(version));
  }

  /**
   * Registers a READY version whose files were written into `stagingDir` (from Store.createStagingDir).
   * Creates the model when absent. Returns the new version.
   */
  registerVersion(args: {
    modelName: string;
    description?: string;
    spec: ModelVersionSpec;
    stagingDir: string;
    serve?: boolean;
  }): ModelVersionRecord {
    validateModelName(args.modelName);
    for (const f of [args.spec.files.graph, args.spec.files.weights, args.spec.files.graphFp16]) {
      if (f !== undefined && !existsSync(join(args.stagingDir, f))) {
        throw new CxrError('INTERNAL', `staged model file ${f} is missing`);
      }
    }
    const now = new Date().toISOString();
    let version = 0;
    let moved: string | null = null;
    try {
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO models (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING')
          .run(args.modelName, args.description ?? '', now);
        const row = this.db
          .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM model_versions WHERE model_name = ?')
          .get(args.modelName) as { v: number };
        version = row.v + 1;
        const dir = this.versionDir(args.modelName, version);
        mkdirSync(dirname(dir), { recursive: true });
        rmSync(dir, { recursive: true, force: true }); // leftovers of a crash between rename and commit
        renameSync(args.stagingDir, dir);
        moved = dir;
        this.db
          .prepare('INSERT INTO model_versions (model_name, version, state, spec, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(args.modelName, version, 'READY', JSON.stringify(args.spec), now);
        const model = this.db.prepare('SELECT serving_version FROM models WHERE name = ?').get(args.modelName) as {
          serving_version: number | null;
        };
        if (args.serve || model.serving_version === null) {
          this.db.prepare('UPDATE models SET serving_version = ? WHERE name = ?').run(version, args.modelName);
        }
      })();
    } catch (err) {
      if (moved) rmSync(moved, { recursive: true, force: true });
      throw err;
    }
    return this.getVersion(args.modelName, version);
  }

  list(): ModelRecord[] {
    const rows = this.db.prepare('SELECT * FROM models ORDER BY name').all() as ModelRow[];
    return rows.map((r) => this.toModel(r));
  }

  get(name: string): ModelRecord {
    const row = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
    if (!row) throw notFound(`model ${JSON.stringify(name)} does not exist`);
    return this.toModel(row);
  }

  /** Resolves a version: empty/undefined means the serving version. */
  resolve(name: string, version?: string | number): ModelVersionRecord {
    const model = this.get(name);
    if (version === undefined || version === '' ) {
      if (model.servingVersion === null) throw failedPrecondition(`model ${JSON.stringify(name)} has no serving version`);
      return this.getVersion(name, model.servingVersion);
    }
    const n = typeof version === 'number' ? version : Number(version);
    if (!Number.isInteger(n) || n < 1) {
      throw new CxrError('INVALID_ARGUMENT', `model version must be a positive integer, got ${JSON.stringify(String(version))}`, {
        violations: [{ field: 'model_version', description: 'not a positive integer' }],
      });
    }
    return this.getVersion(name, n);
  }

  getVersion(name: string, version: number): ModelVersionRecord {
    const row = this.db
      .prepare('SELECT * FROM model_versions WHERE model_name = ? AND version = ?')
      .get(name, version) as VersionRow | undefined;
    if (!row) throw notFound(`model ${JSON.stringify(name)} has no version ${version}`);
    return this.toVersion(row);
  }

  setServingVersion(name: string, version: number): ModelRecord {
    const v = this.getVersion(name, version);
    if (v.state !== 'READY') throw failedPrecondition(`version ${version} of ${name} is ${v.state}, not READY`);
    this.db.prepare('UPDATE models SET serving_version = ? WHERE name = ?').run(version, name);
    return this.get(name);
  }

  setOperatingPoints(name: string, version: number, points: OperatingPointRecord[]): ModelVersionRecord {
    return this.updateSpec(name, version, (s) => ({ ...s, operatingPoints: points }));
  }

  setUsableAsInit(name: string, version: number, usable: boolean): ModelVersionRecord {
    return this.updateSpec(name, version, (s) => ({ ...s, usableAsInit: usable }));
  }

  private updateSpec(name: string, version: number, f: (s: ModelVersionSpec) => ModelVersionSpec): ModelVersionRecord {
    this.db.transaction(() => {
      const v = this.getVersion(name, version);
      const { modelName: _m, version: _v, state: _s, statusMessage: _sm, createdAt: _c, dir: _d, ...spec } = v;
      this.db
        .prepare('UPDATE model_versions SET spec = ? WHERE model_name = ? AND version = ?')
        .run(JSON.stringify(f(spec)), name, version);
    })();
    return this.getVersion(name, version);
  }

  /**
   * Throws unless `delete(name, version)` would succeed: the model (and version) exist, and a
   * serving version is deleted alone only when it is the last. Returns the model.
   */
  checkDeletable(name: string, version?: number): ModelRecord {
    const model = this.get(name);
    if (version === undefined) return model;
    this.getVersion(name, version);
    if (model.servingVersion === version && model.versions.length > 1) {
      throw failedPrecondition(`version ${version} of ${name} is serving: promote another version first`);
    }
    return model;
  }

  /** Deletes a version (not the serving one, unless it is the last) or, without version, the whole model. */
  delete(name: string, version?: number): void {
    const model = this.checkDeletable(name, version);
    if (version === undefined) {
      this.db.prepare('DELETE FROM models WHERE name = ?').run(name);
      rmSync(join(this.modelsDir, name), { recursive: true, force: true });
      return;
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM model_versions WHERE model_name = ? AND version = ?').run(name, version);
      if (model.servingVersion === version) this.db.prepare('UPDATE models SET serving_version = NULL WHERE name = ?').run(name);
    })();
    rmSync(this.versionDir(name, version), { recursive: true, force: true });
  }

  private toModel(r: ModelRow): ModelRecord {
    const versions = (
      this.db.prepare('SELECT * FROM model_versions WHERE model_name = ? ORDER BY version').all(r.name) as VersionRow[]
    ).map((v) => this.toVersion(v));
    return { name: r.name, description: r.description, servingVersion: r.serving_version, createdAt: r.created_at, versions };
  }

  private toVersion(r: VersionRow): ModelVersionRecord {
    const spec = JSON.parse(r.spec) as ModelVersionSpec;
    return {
      ...spec,
      modelName: r.model_name,
      version: r.version,
      state: r.state,
      statusMessage: r.status_message,
      createdAt: r.created_at,
      dir: this.versionDir(r.model_name, r.version),
    };
  }
}
