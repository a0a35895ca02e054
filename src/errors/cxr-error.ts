/**
 * The one error type of the project. Every layer throws a CxrError (or lets a foreign error
 * bubble up); the API boundary turns whatever it caught into a CxrError with `CxrError.from`
 * and maps its `code` to a gRPC status in exactly one place (src/api/grpc-status.ts).
 *
 * Codes mirror the gRPC canonical codes by name so that a reader knows what a client sees,
 * without the domain layers depending on @grpc/grpc-js.
 */
export type ErrorCode =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS';

/** One bad field of a request, reported as google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  /** Path of the field, e.g. "images[2].data" or "config.max_batch_size". */
  field: string;
  description: string;
}

export interface CxrErrorOptions {
  violations?: FieldViolation[];
  cause?: unknown;
}

export class CxrError extends Error {
  readonly code: ErrorCode;
  readonly violations: FieldViolation[];

  constructor(code: ErrorCode, message: string, options: CxrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CxrError';
    this.code = code;
    this.violations = options.violations ?? [];
  }

  /** Turns any thrown value into a CxrError; unknown errors become INTERNAL with their message kept as cause. */
  static from(err: unknown): CxrError {
    if (err instanceof CxrError) return err;
    const code = isErrorLike(err) ? (err as unknown as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && isErrorCode(code)) {
      // A CxrError that crossed a worker_threads boundary arrives as a plain object.
      const e = err as unknown as { code: ErrorCode; message: string; violations?: FieldViolation[] };
      return new CxrError(e.code, e.message, { violations: e.violations ?? [] });
    }
    const message = isErrorLike(err) ? err.message : String(err);
    return new CxrError('INTERNAL', `internal error: ${message}`, { cause: err });
  }

  /** A plain object that survives structured clone (postMessage) and is rebuilt by `from`. */
  toJSON(): { name: string; code: ErrorCode; message: string; violations: FieldViolation[] } {
    return { name: this.name, code: this.code, message: this.message, violations: this.violations };
  }
}

const CODES = new Set<string>([
  'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
]);

export function isErrorCode(s: string): s is ErrorCode {
  return CODES.has(s);
}

function isErrorLike(e: unknown): e is { message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

/** Shorthands for the codes the domain layers raise most. */
export const invalidArgument = (message: string, violations?: FieldViolation[], cause?: unknown): CxrError =>
  new CxrError('INVALID_ARGUMENT', message, { violations, cause });
export const notFound = (message: string): CxrError => new CxrError('NOT_FOUND', message);
export const failedPrecondition = (message: string): CxrError => new CxrError('FAILED_PRECONDITION', message);
export const resourceExhausted = (message: string): CxrError => new CxrError('RESOURCE_EXHAUSTED', message);
export const unimplemented = (message: string): CxrError => new CxrError('UNIMPLEMENTED', message);
export const unavailable = (message: string): CxrError => new CxrError('UNAVAILABLE', message);
