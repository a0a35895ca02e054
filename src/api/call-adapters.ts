import type {
  handleUnaryCall, handleServerStreamingCall, handleBidiStreamingCall,
  ServerUnaryCall, ServerWritableStream, ServerDuplexStream, sendUnaryData,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Logger } from '../observability/logger';
import type { CallObserver } from '../observability/call-metrics';
import { toServiceError, statusName } from './grpc-status';

export type { CallObserver };

export interface AdapterDeps {
  logger: Logger;
  observer?: CallObserver;
}

/** Per-call facts a handler reports back (the model it served, for the request metric). */
export interface CallNotes {
  modelName?: string;
  /** The version that answered, when the call was served by one model version. */
  modelVersion?: string;
}

function logFailure(deps: AdapterDeps, service: string, method: string, err: ReturnType<typeof toServiceError>): void {
  const fields = { rpc: `${service}/${method}`, code: statusName(err.code) };
  if (err.code === status.INTERNAL || err.code === status.UNKNOWN) {
    // The cause may quote input; only its message and stack go to the log, never request fields.
    deps.logger.error({ ...fields, err: err.cxr.cause ?? err.cxr }, 'call failed');
  } else {
    deps.logger.debug({ ...fields, message: err.message }, 'call rejected');
  }
}

export function unary<Req, Res>(
  deps: AdapterDeps, service: string, method: string,
  fn: (req: Req, call: ServerUnaryCall<Req, Res>, notes: CallNotes) => Promise<Res> | Res,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const span = deps.observer?.start(service, method);
    const notes: CallNotes = {};
    Promise.resolve()
      .then(() => fn(call.request, call, notes))
      .then(
        (res) => { span?.end('OK', notes.modelName, notes.modelVersion); callback(null, res); },
        (err: unknown) => {
          const se = toServiceError(err);
          logFailure(deps, service, method, se);
          span?.end(statusName(se.code), notes.modelName, notes.modelVersion);
          callback(se);
        },
      );
  };
}

/**
 * Ends a streaming call with an error status. (grpc-js sends the status of a stream that emits
 * 'error'; a destroyed stream never sends one and the client would wait until its deadline.)
 */
function failStream(call: { emit(event: 'error', err: Error): boolean }, err: Error): void {
  call.emit('error', err);
}

export function serverStream<Req, Res>(
  deps: AdapterDeps, service: string, method: string,
  fn: (req: Req, call: ServerWritableStream<Req, Res>, notes: CallNotes) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const span = deps.observer?.start(service, method);
    const notes: CallNotes = {};
    fn(call.request, call, notes).then(
      () => { span?.end('OK', notes.modelName, notes.modelVersion); call.end(); },
      (err: unknown) => {
        const se = toServiceError(err);
        logFailure(deps, service, method, se);
        span?.end(statusName(se.code), notes.modelName, notes.modelVersion);
        failStream(call, se);
      },
    );
  };
}

export function bidiStream<Req, Res>(
  deps: AdapterDeps, service: string, method: string,
  fn: (call: ServerDuplexStream<Req, Res>, notes: CallNotes) => Promise<void>,
): handleBidiStreamingCall<Req, Res> {
  return (call) => {
    const span = deps.observer?.start(service, method);
    const notes: CallNotes = {};
    fn(call, notes).then(
      () => { span?.end('OK', notes.modelName, notes.modelVersion); call.end(); },
      (err: unknown) => {
        const se = toServiceError(err);
        logFailure(deps, service, method, se);
        span?.end(statusName(se.code), notes.modelName, notes.modelVersion);
        failStream(call, se);
      },
    );
  };
}
