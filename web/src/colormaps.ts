// Colormaps for the depth view: depth t in 0..1 (far..near) to an sRGB colour, as 256-entry tables.

export type Colormap = 'gray' | 'viridis' | 'turbo';

/** Viridis (matplotlib), sampled at nine evenly spaced stops; linear in between. */
const VIRIDIS_STOPS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map((hex) => [
  parseInt(hex.slice(1, 3), 16),
  parseInt(hex.slice(3, 5), 16),
  parseInt(hex.slice(5, 7), 16),
]);

function viridis(t: number): [number, number, number] {
  const position = t * (VIRIDIS_STOPS.length - 1);
  const index = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(position));
  const f = position - index;
  const a = VIRIDIS_STOPS[index]!;
  const b = VIRIDIS_STOPS[index + 1]!;
  return [a[0]! + (b[0]! - a[0]!) * f, a[1]! + (b[1]! - a[1]!) * f, a[2]! + (b[2]! - a[2]!) * f];
}

/** Turbo (Google), by its published polynomial approximation (Anton Mikhailov, Ruofei Du). */
function turbo(t: number): [number, number, number] {
  const x = t;
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x2 * x2;
  const x5 = x4 * x;
  const r = 0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5;
  const g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
  const b = 0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5;
  const clamp = (value: number) => Math.max(0, Math.min(255, value * 255));
  return [clamp(r), clamp(g), clamp(b)];
}

const tables = new Map<Colormap, Uint8ClampedArray>();

/** 256 RGB triplets. */
export function colormapTable(name: Colormap): Uint8ClampedArray {
  let table = tables.get(name);
  if (!table) {
    table = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = i / 255;
      const [r, g, b] = name === 'viridis' ? viridis(t) : name === 'turbo' ? turbo(t) : [i, i, i];
      table.set([r, g, b], i * 3);
    }
    tables.set(name, table);
  }
  return table;
}
