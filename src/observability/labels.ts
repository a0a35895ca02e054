/**
 * Label values, bounded by construction. Each Prometheus label value costs a time series per
 * combination for the life of the process, and a label is visible to anyone who can scrape: so a
 * value is reduced to a safe alphabet, capped in length, and once a label has seen `maxDistinct`
 * values every new one becomes "other". Nothing here should ever receive an id, a file name or a
 * DICOM field; the caps are the backstop if a caller gets that wrong, not the policy.
 */
export const OTHER = 'other';

const UNSAFE = /[^A-Za-z0-9._:/-]/g;

export function boundedLabel(opts: { maxDistinct: number; maxLength: number }): (value: string | undefined | null) => string {
  const seen = new Set<string>();
  // Raw value -> label, so the hot path is one Map lookup; capped so junk input cannot grow it.
  const memo = new Map<string, string>();
  const memoCap = opts.maxDistinct * 4;
  return (value) => {
    if (value === undefined || value === null || value === '') return '';
    const raw = String(value);
    const hit = memo.get(raw);
    if (hit !== undefined) return hit;
    const clean = raw.replace(UNSAFE, '_').slice(0, opts.maxLength);
    let label = OTHER;
    if (seen.has(clean)) label = clean;
    else if (seen.size < opts.maxDistinct) {
      seen.add(clean);
      label = clean;
    }
    if (memo.size < memoCap) memo.set(raw, label);
    return label;
  };
}

/** Model names come from the operator-controlled registry; still capped. */
export const modelLabel = boundedLabel({ maxDistinct: 64, maxLength: 64 });
export const versionLabel = boundedLabel({ maxDistinct: 256, maxLength: 32 });
export const rpcLabel = boundedLabel({ maxDistinct: 64, maxLength: 80 });
export const kindLabel = boundedLabel({ maxDistinct: 16, maxLength: 32 });
export const poolLabel = boundedLabel({ maxDistinct: 16, maxLength: 32 });
export const providerLabel = boundedLabel({ maxDistinct: 8, maxLength: 16 });
/** Image formats (png, jpeg, dicom, dicom-jpeg2000, ...): lower-cased so "PNG" and "png" agree. */
const formatRaw = boundedLabel({ maxDistinct: 24, maxLength: 32 });
export const formatLabel = (format: string | undefined | null): string => formatRaw(format?.toLowerCase());

const GRPC_CODES = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

/** gRPC status names only; anything else is reported as UNKNOWN. */
export function codeLabel(code: string): string {
  return GRPC_CODES.has(code) ? code : 'UNKNOWN';
}
