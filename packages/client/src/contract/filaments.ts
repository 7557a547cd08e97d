// The filaments a colour lithophane (a lithophane with create-task's colour option) is made for, and the light model
// that both shapes it (relief/colour-lithophane.ts) and simulates it back-lit (the SDK's backlight.ts,
// the web UI's preview, the eval's contact sheet). One table, so the thing made and the picture of
// it agree. docs/colour-lithophanes.md explains the numbers and their limits.
//
// The model is Beer–Lambert per channel: light through t mm of a filament keeps exp(-α t) of each of
// linear red, green and blue. The coefficients are nominal values for translucent PLA (a cyan
// filament stops red and passes green and blue, and so on), not measurements of one brand.

export type FilamentName = 'cyan' | 'magenta' | 'yellow' | 'white';

export interface Filament {
  name: FilamentName;
  /** The 3MF's displaycolor, #RRGGBB: what a slicer shows the part as. */
  display: string;
  /** Absorption per millimetre of linear red, green and blue. */
  absorption: readonly [number, number, number];
}

/** In stacking order, from the bed (the back, towards the light) up to the white face. */
export const FILAMENTS: readonly Filament[] = [
  { name: 'cyan', display: '#00A0E0', absorption: [2.3, 0.25, 0.1] },
  { name: 'magenta', display: '#E0108C', absorption: [0.15, 2.3, 0.35] },
  { name: 'yellow', display: '#F8E000', absorption: [0.05, 0.2, 2.3] },
  { name: 'white', display: '#F4F4F0', absorption: [1.2, 1.2, 1.25] },
];

/** Millimetres: the layer height the colour slabs' thicknesses are whole multiples of. */
export const COLOUR_LAYER_HEIGHT = 0.1;

/** The filament of a part's name, if it is one of the table's. */
export function filamentNamed(name: string): Filament | undefined {
  return FILAMENTS.find((filament) => filament.name === name);
}

/**
 * The share of each of linear red, green and blue that passes through these thicknesses (mm) of
 * the filaments, in the table's order.
 */
export function transmission(thickness: ArrayLike<number>, filaments: readonly Filament[] = FILAMENTS): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let density = 0;
    for (let f = 0; f < filaments.length; f++) density += filaments[f]!.absorption[c]! * (thickness[f] ?? 0);
    out[c] = Math.exp(-density);
  }
  return out;
}
