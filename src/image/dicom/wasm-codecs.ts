/**
 * Lazily instantiated cornerstone wasm codecs (OpenJPEG, OpenJPH, CharLS, libjpeg-turbo 8-bit).
 * Each module is created once per thread. After any failure the module is dropped and rebuilt on
 * next use: an emscripten module that trapped mid-decode may hold corrupt heap state, and a
 * poisoned decoder would silently damage the next, valid image.
 */
export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  readHeader?(): void;
  delete?(): void;
}

type CodecName = 'j2k' | 'htj2k' | 'jpeg-ls' | 'jpeg-8bit';

const MODULES: Record<CodecName, { pkg: string; decoder: string }> = {
  j2k: { pkg: '@cornerstonejs/codec-openjpeg/decodewasmjs', decoder: 'J2KDecoder' },
  htj2k: { pkg: '@cornerstonejs/codec-openjph/wasmjs', decoder: 'HTJ2KDecoder' },
  'jpeg-ls': { pkg: '@cornerstonejs/codec-charls/decodewasmjs', decoder: 'JpegLSDecoder' },
  'jpeg-8bit': { pkg: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', decoder: 'JPEGDecoder' },
};

const cache = new Map<CodecName, Promise<Record<string, new () => WasmDecoder>>>();

function loadModule(name: CodecName): Promise<Record<string, new () => WasmDecoder>> {
  let m = cache.get(name);
  if (!m) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(MODULES[name].pkg) as (opts?: object) => Promise<Record<string, new () => WasmDecoder>>;
    // Emscripten prints aborts to stderr by default; keep decoder chatter out of the service's logs.
    m = factory({ print: () => undefined, printErr: () => undefined });
    cache.set(name, m);
  }
  return m;
}

export interface DecodedSamples {
  info: CodecFrameInfo;
  /** A copy owned by the caller (the wasm heap view is reused by the next decode). */
  bytes: Uint8Array;
}

export async function decodeWithWasm(name: CodecName, encoded: Uint8Array): Promise<DecodedSamples> {
  const mod = await loadModule(name);
  let decoder: WasmDecoder | undefined;
  try {
    decoder = new mod[MODULES[name].decoder]();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    return { info: { ...info }, bytes };
  } catch (err) {
    cache.delete(name);
    throw err;
  } finally {
    try { decoder?.delete?.(); } catch { cache.delete(name); }
  }
}

/** Instantiates every codec now, so the first image a worker decodes does not pay for it. */
export async function warmUpCodecs(): Promise<void> {
  await Promise.all((Object.keys(MODULES) as CodecName[]).map((n) => loadModule(n)));
}
