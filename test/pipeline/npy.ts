// A tiny reader for NumPy .npy files (format versions 1-3), enough for the reference arrays the
// tests compare against: little-endian float32/float64 (and a few integer types), C order.

export interface NpyArray {
  shape: number[];
  dtype: string;
  data: Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Int16Array;
}

const MAGIC = '\x93NUMPY';

export function parseNpy(bytes: Uint8Array): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString('latin1', 0, 6) !== MAGIC) throw new Error('not a .npy file');
  const major = buf[6]!;
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`unreadable .npy header: ${header}`);
  if (fortran === 'True') throw new Error('Fortran-order .npy arrays are not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLength;
  // Copy into a fresh, aligned buffer: typed arrays need their offset aligned to the element size.
  const body = (size: number): ArrayBuffer => {
    const end = offset + count * size;
    if (end > buf.length) throw new Error('.npy file is truncated');
    const copy = new Uint8Array(end - offset);
    copy.set(buf.subarray(offset, end));
    return copy.buffer;
  };
  const types: Record<string, (b: ArrayBuffer) => NpyArray['data']> = {
    '<f4': (b) => new Float32Array(b),
    '<f8': (b) => new Float64Array(b),
    '<i4': (b) => new Int32Array(b),
    '<i2': (b) => new Int16Array(b),
    '<u2': (b) => new Uint16Array(b),
    '|u1': (b) => new Uint8Array(b),
  };
  const sizes: Record<string, number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i2': 2, '<u2': 2, '|u1': 1 };
  const make = types[descr];
  const size = sizes[descr];
  if (!make || !size) throw new Error(`unsupported .npy dtype ${descr}`);
  return { shape, dtype: descr, data: make(body(size)) };
}
