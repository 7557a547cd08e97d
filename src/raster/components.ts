// Connected components of a mask on a grid, found by runs: each row's horizontal runs of members
// are joined (union-find) with the runs of the row above that touch them. Work and memory scale
// with the number of runs, not of samples, so a 3 MP mask takes a few milliseconds.

export interface RunComponents {
  /** Runs, one entry each: row, first and last column, and component (0 .. count-1). */
  row: Int32Array;
  from: Int32Array;
  to: Int32Array;
  component: Int32Array;
  runs: number;
  /** Per component: its number of samples, and 1 when it touches the grid's border. */
  size: Int32Array;
  border: Uint8Array;
  count: number;
}

/** Components of the samples where `member` is 1: 8-connected when `diagonal`, else 4-connected. */
export function runComponents(member: Uint8Array, cols: number, rows: number, diagonal: boolean): RunComponents {
  let capacity = 1024;
  let row: Int32Array = new Int32Array(capacity);
  let from: Int32Array = new Int32Array(capacity);
  let to: Int32Array = new Int32Array(capacity);
  let parent: Int32Array = new Int32Array(capacity);
  let runs = 0;
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const reach = diagonal ? 1 : 0;
  let above = 0; // first run of the previous row
  let aboveEnd = 0;
  for (let y = 0; y < rows; y++) {
    const first = runs;
    const offset = y * cols;
    let k = above;
    for (let x = 0; x < cols; x++) {
      if (!member[offset + x]) continue;
      const start = x;
      while (x + 1 < cols && member[offset + x + 1]) x++;
      if (runs === capacity) {
        capacity *= 2;
        row = grow(row, capacity);
        from = grow(from, capacity);
        to = grow(to, capacity);
        parent = grow(parent, capacity);
      }
      row[runs] = y;
      from[runs] = start;
      to[runs] = x;
      parent[runs] = runs;
      // Runs above that overlap [start - reach, x + reach]; both rows are sorted by column.
      while (k < aboveEnd && to[k]! < start - reach) k++;
      for (let j = k; j < aboveEnd && from[j]! <= x + reach; j++) {
        const a = root(j);
        const b = root(runs);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
      runs++;
    }
    above = first;
    aboveEnd = runs;
  }

  const component = new Int32Array(runs);
  let count = 0;
  for (let i = 0; i < runs; i++) {
    // Roots are always the lowest run of their set, so they are numbered before their members.
    const r = root(i);
    component[i] = r === i ? count++ : component[r]!;
  }
  const size = new Int32Array(count);
  const border = new Uint8Array(count);
  for (let i = 0; i < runs; i++) {
    const c = component[i]!;
    size[c]! += to[i]! - from[i]! + 1;
    if (row[i] === 0 || row[i] === rows - 1 || from[i] === 0 || to[i] === cols - 1) border[c] = 1;
  }
  return { row, from, to, component, runs, size, border, count };
}

function grow(array: Int32Array, capacity: number): Int32Array {
  const out = new Int32Array(capacity);
  out.set(array);
  return out;
}
