/**
 * Decode + preprocess (study-2024, 224 px) throughput per format at 2048 x 2048, in-thread, one
 * image at a time. Prints machine, date, median ms and images/s per format, and the ratio to
 * 8-bit PNG measured in the same run. Run: node --import tsx bench/image-decode.ts [iterations]
 */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { decodeRadiograph } from '../src/image/decode';
import { preprocess, resolvePreset } from '../src/image/preprocess';
import { dcmtk, encodeHtj2k, encodeJ2k, encodeJpegLs } from '../test/image/fixtures/encoders';
import { pixelBytes, writeDicom } from '../test/image/fixtures/dicom-writer';
import { writePng } from '../test/image/fixtures/png-writer';
import { samplePixels } from '../test/image/fixtures/sample-image';

const N = 2048;
const iterations = Number(process.argv[2] ?? 5);

async function main(): Promise<void> {
  const p12 = samplePixels(N, N, 12, 1);
  const p16 = samplePixels(N, N, 16, 1);
  const p8 = Uint8Array.from(samplePixels(N, N, 8, 1));
  const native = writeDicom({ rows: N, columns: N, bitsStored: 12, pixelBytes: pixelBytes(p12, 16) });
  const encap = (ts: string, f: Uint8Array): Buffer => writeDicom({ rows: N, columns: N, bitsStored: 12, transferSyntax: ts, fragments: [f] });
  const inputs: [string, Uint8Array][] = [
    ['png8', writePng(N, N, 0, 8, p8)],
    ['png16', await sharp(writePng(N, N, 0, 16, p16)).png({ compressionLevel: 6 }).toColourspace('grey16').toBuffer()],
    ['jpeg', await sharp(Buffer.from(p8), { raw: { width: N, height: N, channels: 1 } }).jpeg({ quality: 90 }).toBuffer()],
    ['dicom-explicit-le', native],
    ['dicom-j2k', encap('1.2.840.10008.1.2.4.90', await encodeJ2k(p12, N, N, 12))],
    ['dicom-htj2k', encap('1.2.840.10008.1.2.4.201', await encodeHtj2k(p12, N, N, 12))],
    ['dicom-jpegls', encap('1.2.840.10008.1.2.4.80', await encodeJpegLs(p12, N, N, 12))],
  ];
  let haveDcmtk = true;
  try { execFileSync('dcmcjpeg', ['--version'], { stdio: 'ignore' }); } catch { haveDcmtk = false; }
  if (haveDcmtk) {
    inputs.push(['dicom-jpeg-lossless', dcmtk('dcmcjpeg', ['+e1'], native)]);
    inputs.push(['dicom-jpeg-extended', dcmtk('dcmcjpeg', ['+ee', '+sr'], native)]);
    inputs.push(['dicom-rle', dcmtk('dcmcrle', [], native)]);
  }
  const preset = resolvePreset('study-2024');
  console.log(`image-decode bench: ${new Date().toISOString()}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`${N}x${N}, decode + preprocess (study-2024 @224), ${iterations} timed runs after 1 warm-up, median${haveDcmtk ? '' : ' (dcmtk absent: JPEG lossless/extended and RLE not measured)'}`);
  let baseline = 0;
  for (const [name, bytes] of inputs) {
    const times: number[] = [];
    let dec = 0;
    for (let i = 0; i <= iterations; i++) {
      const t0 = performance.now();
      const img = await decodeRadiograph(bytes, 'auto', { voi: preset.voi });
      const t1 = performance.now();
      preprocess(img, preset);
      const t2 = performance.now();
      if (i > 0) { times.push(t2 - t0); dec += t1 - t0; }
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    if (!baseline) baseline = med;
    console.log(`${name.padEnd(22)} ${(bytes.length / 2 ** 20).toFixed(1).padStart(5)} MiB  median ${med.toFixed(0).padStart(5)} ms (decode ${(dec / iterations).toFixed(0)} ms)  ${(1000 / med).toFixed(2).padStart(6)} img/s  x${(baseline / med).toFixed(2)} vs png8`);
  }
}

void main();
