// The package ships no CommonJS typings; this is the one call the DICOM decoder makes.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array | Int16Array;
  }
}
