import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call';

/** The call's deadline as ms since the epoch, or undefined when the client set none. */
export function callDeadline(call: Pick<ServerSurfaceCall, 'getDeadline'>): number | undefined {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return Number.isFinite(d) ? (d as number) : undefined;
}

/** An AbortSignal that fires when the client cancels the call (or its deadline passes). */
export function abortOnCancel(call: Pick<ServerSurfaceCall, 'on' | 'removeListener'>): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onCancel = () => ac.abort();
  call.on('cancelled', onCancel);
  return { signal: ac.signal, dispose: () => call.removeListener('cancelled', onCancel) };
}
