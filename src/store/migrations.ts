/**
 * Versioned schema migrations, applied in order inside one transaction each. Append only:
 * never edit a migration that has shipped; add a new one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'models, versions, jobs, reports, predictions',
    sql: `
      CREATE TABLE models (
        name            TEXT PRIMARY KEY,
        description     TEXT NOT NULL DEFAULT '',
        serving_version INTEGER,
        created_at      TEXT NOT NULL
      );
      CREATE TABLE model_versions (
        model_name     TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
        version        INTEGER NOT NULL,
        state          TEXT NOT NULL,
        status_message TEXT NOT NULL DEFAULT '',
        spec           TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        PRIMARY KEY (model_name, version)
      );
      CREATE TABLE jobs (
        id             TEXT PRIMARY KEY,
        seq            INTEGER NOT NULL UNIQUE,
        kind           TEXT NOT NULL,
        state          TEXT NOT NULL,
        spec           TEXT NOT NULL,
        progress       TEXT NOT NULL DEFAULT '{}',
        result         TEXT,
        status_message TEXT NOT NULL DEFAULT '',
        created_at     TEXT NOT NULL,
        started_at     TEXT,
        ended_at       TEXT
      );
      CREATE INDEX jobs_by_state ON jobs(state, seq);
      CREATE TABLE reports (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        job_id     TEXT,
        summary    TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE TABLE predictions (
        model_name    TEXT NOT NULL,
        model_version INTEGER NOT NULL,
        dataset_key   TEXT NOT NULL,
        file          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        PRIMARY KEY (model_name, model_version, dataset_key)
      );
    `,
  },
];
