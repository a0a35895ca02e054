import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, type Config, type SettingDef } from './settings';

/** Raised at start-up for bad configuration; the message names the key and where it came from. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration: defaults, then the optional YAML/JSON file (`CXR_CONFIG` or the
 * `file` argument, nested or dotted keys), then environment variables, then explicit overrides.
 * Unknown file keys and bad values fail fast with a message naming the key.
 */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; file?: string; overrides?: Partial<Config> } = {}): Config {
  const env = opts.env ?? process.env;
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) out[s.key] = s.default;

  const file = opts.file ?? env.CXR_CONFIG;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    const flat = flatten(doc ?? {}, '');
    for (const [key, raw] of Object.entries(flat)) {
      const def = SETTINGS.find((s) => s.key === key);
      if (!def) throw new ConfigError(`config file ${file}: unknown key "${key}"`);
      out[key] = coerce(def, raw, `config file ${file}, key "${key}"`);
    }
  }

  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw !== undefined && raw !== '') out[s.key] = coerce(s, raw, `environment variable ${s.env} (${s.key})`);
  }
  if (env.HF_ENDPOINT && !env.CXR_HUB_ENDPOINT) out['hub.endpoint'] = env.HF_ENDPOINT;

  for (const [key, v] of Object.entries(opts.overrides ?? {})) {
    const def = SETTINGS.find((s) => s.key === key);
    if (!def) throw new ConfigError(`unknown setting "${key}"`);
    out[key] = coerce(def, v, `setting "${key}"`);
  }
  return out as Config;
}

function flatten(v: unknown, prefix: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return prefix ? { [prefix]: v } : {};
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (x !== null && typeof x === 'object' && !Array.isArray(x) && !SETTINGS.some((s) => s.key === key)) Object.assign(o, flatten(x, key));
    else o[key] = x;
  }
  return o;
}

function coerce(def: SettingDef, raw: unknown, where: string): string | number | boolean {
  const t = def.type;
  if (typeof t === 'object') {
    const s = String(raw);
    if (!t.enum.includes(s)) throw new ConfigError(`${where}: must be one of ${t.enum.join(', ')}, got "${s}"`);
    return s;
  }
  switch (t) {
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(`${where}: must be a string`);
      return raw;
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`${where}: must be true or false, got "${String(raw)}"`);
    }
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (String(raw).trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${where}: must be a number, got "${String(raw)}"`);
      if (t === 'int' && !Number.isInteger(n)) throw new ConfigError(`${where}: must be an integer, got "${String(raw)}"`);
      if (def.min !== undefined && n < def.min) throw new ConfigError(`${where}: must be >= ${def.min}, got ${n}`);
      if (def.max !== undefined && n > def.max) throw new ConfigError(`${where}: must be <= ${def.max}, got ${n}`);
      return n;
    }
  }
}

/** Markdown table of every setting, for the README. */
export function settingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const type = typeof s.type === 'object' ? s.type.enum.join(' \\| ') : s.type;
    return `| \`${s.key}\` | \`${s.env}\` | ${type} | \`${String(s.default)}\` | ${s.doc} |`;
  });
  return ['| key | env | type | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
