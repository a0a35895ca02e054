/**
 * Downloads one file from a model hub in the Hugging Face URL layout,
 * `${endpoint}/${repo}/resolve/${revision}/${filename}`, and only when a user explicitly names a
 * repo (the service never downloads on its own). The body streams to a temp file next to the
 * destination (never fully in memory), is capped at `maxBytes`, hashed with sha256 on the way, and
 * checked against the hub's X-Linked-Etag (the sha256 of LFS files) when present. A failed or
 * truncated transfer leaves no file behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CxrError, invalidArgument } from '../../errors/cxr-error';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
/** ViT-B checkpoints are ~350 MB (fp32); ViT-L/g are larger. The cap exists so a wrong file cannot fill the disk. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

export interface HubDownloadRequest {
  /** "owner/name", e.g. "facebook/dinov2-base". */
  repo: string;
  filename: string;
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Bearer token for gated/private repos; default $HF_TOKEN. Never logged. */
  token?: string;
  maxBytes?: number;
  /** Whole-transfer timeout; default 30 minutes. */
  timeoutMs?: number;
  /** Directory the file lands in (a staging directory). */
  destDir: string;
  signal?: AbortSignal;
}

export interface HubDownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** The URL requested (without credentials), for provenance. */
  url: string;
}

const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;

export function hubUrl(endpoint: string, repo: string, revision: string, filename: string): string {
  if (!REPO_RE.test(repo) || repo.includes('..')) throw invalidArgument(`hub repo ${JSON.stringify(repo)} is not of the form owner/name`, [{ field: 'hub.repo', description: 'invalid repo id' }]);
  const parts = filename.split('/');
  if (parts.some((p) => !SEGMENT_RE.test(p) || p === '.' || p === '..')) {
    throw invalidArgument(`hub filename ${JSON.stringify(filename)} is not a plain relative path`, [{ field: 'hub.filename', description: 'invalid file name' }]);
  }
  if (!revision || revision.includes('..') || /[\s?#]/.test(revision)) throw invalidArgument(`hub revision ${JSON.stringify(revision)} is invalid`, [{ field: 'hub.revision', description: 'invalid revision' }]);
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw invalidArgument(`hub endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw invalidArgument(`hub endpoint must be http(s), got ${base.protocol}`);
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${parts.map(encodeURIComponent).join('/')}`;
}

export async function hubDownload(req: HubDownloadRequest): Promise<HubDownloadResult> {
  const endpoint = req.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT;
  const url = hubUrl(endpoint, req.repo, req.revision ?? 'main', req.filename);
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const token = req.token ?? process.env.HF_TOKEN;
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 30 * 60_000);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const what = `${req.repo}/${req.filename}@${req.revision ?? 'main'}`;

  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow', signal });
  } catch (e) {
    throw new CxrError('UNAVAILABLE', `hub download of ${what} failed: ${(e as Error).message}`, { cause: e });
  }
  if (res.status === 404) throw new CxrError('NOT_FOUND', `hub has no ${what} (HTTP 404 from ${new URL(url).host})`);
  if (res.status === 401 || res.status === 403) throw new CxrError('PERMISSION_DENIED', `hub refused ${what} (HTTP ${res.status}): the repo may be gated or private; set HF_TOKEN`);
  if (!res.ok || !res.body) throw new CxrError('UNAVAILABLE', `hub download of ${what} failed: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new CxrError('RESOURCE_EXHAUSTED', `hub file ${what} is ${declared} bytes, over the ${maxBytes}-byte import limit`);
  }
  const linkedEtag = (res.headers.get('x-linked-etag') ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();

  const name = req.filename.split('/').pop()!;
  const final = join(req.destDir, name);
  const tmp = join(req.destDir, `.${name}.${randomBytes(6).toString('hex')}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(tmp);
  const closed = new Promise<void>((resolve, reject) => { out.on('close', resolve); out.on('error', reject); });
  try {
    const reader = res.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new CxrError('UNAVAILABLE', `hub download of ${what} broke off after ${bytes} bytes: ${(e as Error).message}`, { cause: e });
      }
      if (chunk.done) break;
      bytes += chunk.value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new CxrError('RESOURCE_EXHAUSTED', `hub file ${what} exceeds the ${maxBytes}-byte import limit`);
      }
      hash.update(chunk.value);
      if (!out.write(chunk.value)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    out.end();
    await closed;
    if (Number.isFinite(declared) && bytes !== declared) {
      throw new CxrError('UNAVAILABLE', `hub download of ${what} is truncated: ${bytes} of ${declared} bytes`);
    }
    const sha256 = hash.digest('hex');
    if (/^[0-9a-f]{64}$/.test(linkedEtag) && linkedEtag !== sha256) {
      throw new CxrError('DATA_LOSS', `hub download of ${what} is corrupt: sha256 ${sha256} differs from the hub's ${linkedEtag}`);
    }
    renameSync(tmp, final);
    return { path: final, sha256, bytes, url };
  } catch (e) {
    out.destroy();
    await closed.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw e;
  }
}
