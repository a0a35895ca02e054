import * as grpc from '@grpc/grpc-js';

/** Options shared by the CLI's gRPC clients: large messages (reports, DICOMs) both ways. */
export const CLIENT_OPTIONS = { 'grpc.max_send_message_length': 256 * 1024 * 1024, 'grpc.max_receive_message_length': 256 * 1024 * 1024 };

export function insecure(): grpc.ChannelCredentials {
  return grpc.credentials.createInsecure();
}

/** Promise form of a generated unary method. */
export function unaryCall<Req, Res>(
  method: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
  opts: Partial<grpc.CallOptions> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => method(req, new grpc.Metadata(), opts, (err, res) => (err ? reject(err) : resolve(res))));
}

/** A gRPC error as one line for the terminal: "INVALID_ARGUMENT: message". */
export function describeGrpcError(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  return e.code !== undefined ? `${grpc.status[e.code]}: ${e.details ?? e.message}` : String(err);
}
