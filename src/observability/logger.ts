import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino removes from every log object, whatever the caller passed: patient data stays out of
 * logs by construction (pino's `redact`), not by every call site remembering it.
 */
export const REDACTED_PATHS = [
  'patient', 'patientName', 'patientId', 'PatientName', 'PatientID', 'patientBirthDate',
  '*.patient', '*.patientName', '*.patientId', '*.PatientName', '*.PatientID', '*.patientBirthDate',
  'accessionNumber', '*.accessionNumber', 'studyInstanceUid', '*.studyInstanceUid',
  'imageId', '*.imageId', 'ids', '*.ids', 'path', '*.path', 'filename', '*.filename',
  'data', '*.data', 'bytes', '*.bytes',
];

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'cxr-vit' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
}
