import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package.json version, found by walking up from this file (works from src/ and dist/src/). */
export function readPackageVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = join(dir, '..')) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cxr-vit' && pkg.version) return pkg.version;
    } catch {
      /* keep walking */
    }
  }
  return '0.0.0';
}
