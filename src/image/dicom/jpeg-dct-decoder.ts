import { invalidArgument } from '../../errors/cxr-error';

/**
 * Sequential-DCT JPEG with Huffman coding (ITU T.81 processes 1, 2 and 4: baseline 8-bit and
 * extended 12-bit). The libjpeg-turbo wasm build the project uses is 8-bit only, and DICOM's
 * "JPEG Extended (Process 2 & 4)" transfer syntax carries 12-bit CR/DX images, so this decoder
 * exists for them. The IDCT is the exact separable float transform (libjpeg's default is an
 * integer approximation), so results may differ from other decoders by one grey level.
 * Colour (3-component) frames return their first component only, which for YCbCr is luma:
 * all this service wants from a radiograph.
 */
export interface DctFrame {
  width: number;
  height: number;
  precision: number;
  /** Samples of the first component, row-major. */
  data: Uint16Array;
}

const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

// COS[x*8+u] = C(u)/2 * cos((2x+1) u pi / 16)
const COS = new Float64Array(64);
for (let x = 0; x < 8; x++) for (let u = 0; u < 8; u++) COS[x * 8 + u] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);

interface Huffman { maxcode: Int32Array; valptr: Int32Array; mincode: Int32Array; values: Uint8Array }

interface Component {
  id: number; h: number; v: number; tq: number;
  blocksPerLine: number; blocksPerColumn: number;
  coeffs: Int32Array; // blocksPerColumn*blocksPerLine*64, natural order
  pred: number; td: number; ta: number;
}

function fail(what: string): never {
  throw invalidArgument(`JPEG frame is corrupt: ${what}`);
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0, k = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = k;
    mincode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

export function decodeJpegDct(b: Uint8Array): DctFrame {
  const qt: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let comps: Component[] = [];
  let width = 0, height = 0, precision = 8, hmax = 1, vmax = 1, mcusX = 0, mcusY = 0, restart = 0;
  let frameSeen = false;
  let p = 2;
  if (b[0] !== 0xff || b[1] !== 0xd8) fail('no SOI');
  const u16 = (o: number): number => { if (o + 1 >= b.length) fail('truncated'); return (b[o] << 8) | b[o + 1]; };

  while (p < b.length) {
    if (b[p] !== 0xff) { p++; continue; }
    const m = b[p + 1];
    if (m === 0xff) { p++; continue; }
    p += 2;
    if (m === 0xd9) break; // EOI
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01 || m === 0x00) continue;
    const len = u16(p);
    const end = p + len;
    if (len < 2 || end > b.length) fail('segment overruns the frame');
    let q = p + 2;
    switch (m) {
      case 0xdb: // DQT
        while (q < end) {
          const pq = b[q] >> 4, tq = b[q] & 15; q++;
          if (tq > 3) fail('quantisation table id');
          const t = new Int32Array(64);
          for (let i = 0; i < 64; i++) { t[ZIGZAG[i]] = pq ? u16(q + 2 * i) : b[q + i]; }
          q += pq ? 128 : 64;
          if (q > end) fail('DQT overrun');
          qt[tq] = t;
        }
        break;
      case 0xc4: // DHT
        while (q < end) {
          const tc = b[q] >> 4, th = b[q] & 15; q++;
          if (th > 3 || tc > 1 || q + 16 > end) fail('Huffman table header');
          const counts = b.subarray(q, q + 16); q += 16;
          let total = 0;
          for (let i = 0; i < 16; i++) total += counts[i];
          if (q + total > end || total > 256) fail('Huffman table overrun');
          const t = buildHuffman(counts, b.slice(q, q + total)); q += total;
          (tc === 0 ? dcTables : acTables)[th] = t;
        }
        break;
      case 0xdd: restart = u16(q); break;
      case 0xc0: case 0xc1: {
        if (frameSeen) fail('second frame header');
        frameSeen = true;
        precision = b[q]; height = u16(q + 1); width = u16(q + 3);
        const n = b[q + 5]; q += 6;
        if (precision !== 8 && precision !== 12) fail(`sample precision ${precision}`);
        if (!width || !height || n < 1 || n > 4 || q + 3 * n > end) fail('frame header');
        comps = [];
        for (let i = 0; i < n; i++, q += 3) {
          const h = b[q + 1] >> 4, v = b[q + 1] & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) fail('sampling factors');
          comps.push({ id: b[q], h, v, tq: b[q + 2] & 3, blocksPerLine: 0, blocksPerColumn: 0, coeffs: new Int32Array(0), pred: 0, td: 0, ta: 0 });
        }
        hmax = Math.max(...comps.map((c) => c.h)); vmax = Math.max(...comps.map((c) => c.v));
        mcusX = Math.ceil(width / (8 * hmax)); mcusY = Math.ceil(height / (8 * vmax));
        for (const c of comps) {
          c.blocksPerLine = mcusX * c.h; c.blocksPerColumn = mcusY * c.v;
          c.coeffs = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        break;
      }
      case 0xda: { // SOS
        if (!frameSeen) fail('scan before frame header');
        const ns = b[q++];
        const scomps: Component[] = [];
        for (let i = 0; i < ns; i++, q += 2) {
          const c = comps.find((x) => x.id === b[q]);
          if (!c) fail('scan names an unknown component');
          c.td = b[q + 1] >> 4; c.ta = b[q + 1] & 15;
          if (!dcTables[c.td] || !acTables[c.ta]) fail('scan uses an undefined Huffman table');
          scomps.push(c);
        }
        p = decodeScan(b, end, scomps, mcusX, mcusY, restart, width, height, hmax, vmax);
        continue;
      }
      default:
        if (m >= 0xc2 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) fail(`unsupported JPEG process (SOF marker 0x${m.toString(16)})`);
    }
    p = end;
  }
  if (!frameSeen) fail('no frame header');

  // Only the first component is reconstructed (see module comment).
  const c = comps[0];
  const table = qt[c.tq];
  if (!table) fail('missing quantisation table');
  const plane = idctPlane(c, table, precision);
  const pw = c.blocksPerLine * 8;
  const sx = hmax / c.h, sy = vmax / c.v;
  const out = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / sy) * pw;
    for (let x = 0; x < width; x++) out[y * width + x] = plane[row + Math.floor(x / sx)];
  }
  return { width, height, precision, data: out };

  function decodeScan(buf: Uint8Array, start: number, sc: Component[], mx: number, my: number, ri: number, w: number, h: number, hm: number, vm: number): number {
    let pos = start, bitBuf = 0, bitCnt = 0;
    const readBit = (): number => {
      if (bitCnt === 0) {
        if (pos >= buf.length) { bitBuf = 0; bitCnt = 8; }
        else {
          const byte = buf[pos];
          if (byte === 0xff) {
            const next = buf[pos + 1];
            if (next === 0) { pos += 2; bitBuf = 0xff; }
            else { bitBuf = 0; } // marker: feed zeros, do not consume
          } else { pos++; bitBuf = byte; }
          bitCnt = 8;
        }
      }
      bitCnt--;
      return (bitBuf >> bitCnt) & 1;
    };
    const receive = (s: number): number => { let v = 0; for (let i = 0; i < s; i++) v = (v << 1) | readBit(); return v; };
    const extend = (v: number, s: number): number => (s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v);
    const decodeSym = (t: Huffman): number => {
      let code = readBit(), l = 1;
      while (code > t.maxcode[l]) {
        code = (code << 1) | readBit();
        if (++l > 16) fail('bad Huffman code');
      }
      const idx = t.valptr[l] + code - t.mincode[l];
      if (idx >= t.values.length) fail('bad Huffman code');
      return t.values[idx];
    };
    const decodeBlock = (c: Component, offset: number): void => {
      const dc = dcTables[c.td], ac = acTables[c.ta];
      const s = decodeSym(dc);
      if (s > 16) fail('DC magnitude');
      c.pred += extend(receive(s), s);
      c.coeffs[offset] = c.pred;
      for (let k = 1; k < 64;) {
        const rs = decodeSym(ac);
        const r = rs >> 4, ss = rs & 15;
        if (ss === 0) {
          if (r !== 15) break; // EOB
          k += 16;
          continue;
        }
        k += r;
        if (k > 63) fail('AC coefficient index');
        c.coeffs[offset + ZIGZAG[k]] = extend(receive(ss), ss);
        k++;
      }
    };
    const single = sc.length === 1;
    const c0 = sc[0];
    // A non-interleaved scan covers only the component's own blocks, not the MCU padding.
    const bx = single ? Math.ceil(Math.ceil((w * c0.h) / hm) / 8) : mx;
    const by = single ? Math.ceil(Math.ceil((h * c0.v) / vm) / 8) : my;
    const total = bx * by;
    for (const c of sc) c.pred = 0;
    for (let n = 0; n < total; n++) {
      if (ri && n > 0 && n % ri === 0) {
        bitCnt = 0;
        while (pos + 1 < buf.length && !(buf[pos] === 0xff && buf[pos + 1] >= 0xd0 && buf[pos + 1] <= 0xd7)) pos++;
        if (pos + 1 >= buf.length) fail('missing restart marker');
        pos += 2;
        for (const c of sc) c.pred = 0;
      }
      const row = Math.floor(n / bx), col = n % bx;
      if (single) {
        decodeBlock(c0, (row * c0.blocksPerLine + col) * 64);
      } else {
        for (const c of sc) {
          for (let v = 0; v < c.v; v++) for (let hh = 0; hh < c.h; hh++) {
            decodeBlock(c, ((row * c.v + v) * c.blocksPerLine + col * c.h + hh) * 64);
          }
        }
      }
    }
    // Resume marker parsing at the next marker after the entropy-coded segment.
    while (pos + 1 < buf.length && !(buf[pos] === 0xff && buf[pos + 1] !== 0 && !(buf[pos + 1] >= 0xd0 && buf[pos + 1] <= 0xd7))) pos++;
    return pos;
  }
}

function idctPlane(c: Component, q: Int32Array, precision: number): Uint16Array {
  const pw = c.blocksPerLine * 8;
  const out = new Uint16Array(pw * c.blocksPerColumn * 8);
  const shift = 1 << (precision - 1);
  const maxv = (1 << precision) - 1;
  const f = new Float64Array(64), tmp = new Float64Array(64);
  for (let by = 0; by < c.blocksPerColumn; by++) {
    for (let bx = 0; bx < c.blocksPerLine; bx++) {
      const off = (by * c.blocksPerLine + bx) * 64;
      for (let i = 0; i < 64; i++) f[i] = c.coeffs[off + i] * q[i];
      // rows: tmp[v*8+x] = sum_u COS[x,u] f[v*8+u]
      for (let v = 0; v < 8; v++) for (let x = 0; x < 8; x++) {
        let s = 0;
        for (let u = 0; u < 8; u++) s += COS[x * 8 + u] * f[v * 8 + u];
        tmp[v * 8 + x] = s;
      }
      for (let x = 0; x < 8; x++) for (let y = 0; y < 8; y++) {
        let s = 0;
        for (let v = 0; v < 8; v++) s += COS[y * 8 + v] * tmp[v * 8 + x];
        const val = Math.round(s + shift);
        out[(by * 8 + y) * pw + bx * 8 + x] = val < 0 ? 0 : val > maxv ? maxv : val;
      }
    }
  }
  return out;
}
