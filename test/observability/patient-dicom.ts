// dcmjs ships no types; the two classes used here, typed locally (a global `declare module` could
// clash with another test's).
interface Dcmjs {
  data: {
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown> };
    DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as Dcmjs;

/** Identifiers planted in the test DICOM: none may appear in a metric, log or span. */
export const PATIENT = {
  name: 'Doe^Jane^Quincy',
  id: 'PID-7734291',
  accession: 'ACC-5550199',
  birthDate: '19420317',
  studyUid: '1.2.826.0.1.3680043.8.498.77342910001',
};

/** A small 16-bit monochrome chest "radiograph" (explicit VR little endian) carrying PATIENT. */
export function dicomWithPatient(size = 64): Buffer {
  const { DicomMetaDictionary, DicomDict } = dcmjs.data;
  const pixels = new Uint16Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[y * size + x] = ((x * 37 + y * 11) % 4096);
  const sopInstance = `${PATIENT.studyUid}.1.1`;
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.8.498.1',
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset({
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
    SOPInstanceUID: sopInstance,
    StudyInstanceUID: PATIENT.studyUid,
    SeriesInstanceUID: `${PATIENT.studyUid}.1`,
    PatientName: PATIENT.name,
    PatientID: PATIENT.id,
    PatientBirthDate: PATIENT.birthDate,
    AccessionNumber: PATIENT.accession,
    Modality: 'DX',
    Rows: size,
    Columns: size,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    _vrMap: { PixelData: 'OW' },
    PixelData: [pixels.buffer],
  });
  return Buffer.from(dict.write());
}

/** Every planted identifier found in `text` (empty when clean). */
export function leakedIdentifiers(text: string): string[] {
  const needles = [PATIENT.name, ...PATIENT.name.split('^'), PATIENT.id, PATIENT.accession, PATIENT.birthDate, PATIENT.studyUid];
  return needles.filter((n) => text.includes(n));
}
