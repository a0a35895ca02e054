import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { CxrError, type ErrorCode, type FieldViolation } from '../errors/cxr-error';

/** The one place where domain error codes become gRPC status codes. */
const GRPC_CODE: Record<ErrorCode, status> = {
  CANCELLED: status.CANCELLED,
  UNKNOWN: status.UNKNOWN,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ABORTED: status.ABORTED,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  INTERNAL: status.INTERNAL,
  UNAVAILABLE: status.UNAVAILABLE,
  DATA_LOSS: status.DATA_LOSS,
};

export function grpcCode(code: ErrorCode): status {
  return GRPC_CODE[code];
}

/** Name of a gRPC status code, for metric labels and logs ("OK", "INVALID_ARGUMENT", ...). */
export function statusName(code: status): string {
  return status[code] ?? String(code);
}

/**
 * Turns any thrown value into a ServiceError. Field violations travel as a google.rpc.Status with
 * a google.rpc.BadRequest detail in the `grpc-status-details-bin` trailer, as Google APIs do.
 * INTERNAL errors keep their detail out of the client's message (it goes to the log instead).
 */
export function toServiceError(err: unknown): ServiceError & { cxr: CxrError } {
  const e = CxrError.from(err);
  const code = grpcCode(e.code);
  const message = e.code === 'INTERNAL' ? 'internal error' : e.message;
  const metadata = new Metadata();
  if (e.violations.length > 0) {
    metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, message, e.violations)));
  }
  const se = Object.assign(new Error(message), { code, details: message, metadata, cxr: e });
  return se;
}

const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** google.rpc.Status { code=1, message=2, details=3 (Any) } with one BadRequest detail. */
export function encodeStatus(code: number, message: string, violations: FieldViolation[]): Uint8Array {
  const badRequest = new BinaryWriter();
  for (const v of violations) {
    badRequest.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string(v.field).uint32((2 << 3) | 2).string(v.description).join();
  }
  const any = new BinaryWriter().uint32((1 << 3) | 2).string(BAD_REQUEST_TYPE).uint32((2 << 3) | 2).bytes(badRequest.finish()).finish();
  return new BinaryWriter().uint32((1 << 3) | 0).int32(code).uint32((2 << 3) | 2).string(message).uint32((3 << 3) | 2).bytes(any).finish();
}
