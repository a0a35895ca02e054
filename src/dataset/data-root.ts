import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { invalidArgument } from '../errors/cxr-error';

/**
 * The directory the server may read dataset files from. Every manifest path is resolved against
 * it and anything that escapes is refused: absolute paths, `..` segments that climb out, and
 * symlinks whose target lies outside. Error messages name the row (`where`, e.g. "manifest row
 * 12"), never the path itself, because file names often embed patient identifiers.
 */
export class DataRoot {
  /** The root as given, resolved lexically. */
  readonly path: string;
  /** The root with symlinks resolved; containment is checked against this. */
  readonly realPath: string;

  constructor(root: string) {
    this.path = resolve(root);
    try {
      this.realPath = realpathSync(this.path);
      if (!statSync(this.realPath).isDirectory()) throw new Error('not a directory');
    } catch {
      throw invalidArgument('data root does not exist or is not a directory', [
        { field: 'data_root', description: 'must be an existing directory the server may read' },
      ]);
    }
  }

  /**
   * Absolute real path of `relPath`. With `mustExist` (default) the file is resolved through the
   * file system, which is what catches symlinks; without it only the lexical check runs.
   */
  resolve(relPath: string, where: string, mustExist = true): string {
    if (relPath.trim() === '') throw invalidArgument(`${where}: path is empty`);
    if (relPath.includes('\0')) throw invalidArgument(`${where}: path contains a NUL byte`);
    if (isAbsolute(relPath) || /^[A-Za-z]:[\\/]/.test(relPath)) {
      throw invalidArgument(`${where}: path must be relative to the data root, not absolute`);
    }
    const lexical = resolve(this.path, relPath);
    if (!isInside(this.path, lexical)) throw invalidArgument(`${where}: path escapes the data root`);
    if (!mustExist) return lexical;
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch {
      throw invalidArgument(`${where}: file does not exist under the data root`);
    }
    if (!isInside(this.realPath, real)) {
      throw invalidArgument(`${where}: path resolves through a symlink to outside the data root`);
    }
    return real;
  }
}

/** True when `p` is strictly below `root` (both absolute, already resolved). */
export function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel);
}
