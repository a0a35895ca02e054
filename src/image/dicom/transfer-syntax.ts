/**
 * The transfer syntaxes this service decodes, as data: UID -> how its pixel data is carried and
 * which codec turns a frame into samples. `label` is the low-cardinality format name exposed as
 * GreyImage.format ("dicom-" + label), safe as a metric label.
 */
export type FrameCodec =
  | 'native' // uncompressed little endian (also after deflate)
  | 'jpeg-8bit' // libjpeg-turbo wasm: baseline 8-bit
  | 'jpeg-dct' // our sequential DCT decoder: extended 12-bit (and 8-bit when libjpeg-turbo refuses)
  | 'jpeg-lossless' // jpeg-lossless-decoder-js
  | 'jpeg-ls' // CharLS wasm
  | 'j2k' // OpenJPEG wasm
  | 'htj2k' // OpenJPH wasm
  | 'rle'; // DICOM RLE (PS3.5 G), decoded here

export interface TransferSyntax {
  uid: string;
  label: string;
  codec: FrameCodec;
  encapsulated: boolean;
  deflated?: boolean;
  lossy: boolean;
}

const TABLE: TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', label: 'implicit-le', codec: 'native', encapsulated: false, lossy: false },
  { uid: '1.2.840.10008.1.2.1', label: 'explicit-le', codec: 'native', encapsulated: false, lossy: false },
  { uid: '1.2.840.10008.1.2.1.99', label: 'deflated-le', codec: 'native', encapsulated: false, deflated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.50', label: 'jpeg-baseline', codec: 'jpeg-8bit', encapsulated: true, lossy: true },
  { uid: '1.2.840.10008.1.2.4.51', label: 'jpeg-extended', codec: 'jpeg-dct', encapsulated: true, lossy: true },
  { uid: '1.2.840.10008.1.2.4.57', label: 'jpeg-lossless', codec: 'jpeg-lossless', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.70', label: 'jpeg-lossless-sv1', codec: 'jpeg-lossless', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.80', label: 'jpegls', codec: 'jpeg-ls', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.81', label: 'jpegls-near', codec: 'jpeg-ls', encapsulated: true, lossy: true },
  { uid: '1.2.840.10008.1.2.4.90', label: 'j2k', codec: 'j2k', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.91', label: 'j2k-lossy', codec: 'j2k', encapsulated: true, lossy: true },
  { uid: '1.2.840.10008.1.2.4.201', label: 'htj2k', codec: 'htj2k', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.202', label: 'htj2k-rpcl', codec: 'htj2k', encapsulated: true, lossy: false },
  { uid: '1.2.840.10008.1.2.4.203', label: 'htj2k-lossy', codec: 'htj2k', encapsulated: true, lossy: true },
  { uid: '1.2.840.10008.1.2.5', label: 'rle', codec: 'rle', encapsulated: true, lossy: false },
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

export function transferSyntaxFor(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

export const SUPPORTED_TRANSFER_SYNTAXES: readonly TransferSyntax[] = TABLE;
