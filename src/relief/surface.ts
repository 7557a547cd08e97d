// Vertices and triangles of a surface under construction, in typed arrays that grow as needed.

/** Vertices in grid units (x right, y down) with their height in mm. */
export class Vertices {
  gx: Float64Array = new Float64Array(1024);
  gy: Float64Array = new Float64Array(1024);
  z: Float64Array = new Float64Array(1024);
  /** 1 for vertices that may lie on the region's boundary: crossings and samples on the grid's edge. */
  rim: Uint8Array = new Uint8Array(1024);
  count = 0;

  add(x: number, y: number, z: number, rim: boolean): number {
    if (this.count === this.gx.length) {
      const capacity = 2 * this.count;
      this.gx = growFloat(this.gx, capacity);
      this.gy = growFloat(this.gy, capacity);
      this.z = growFloat(this.z, capacity);
      const r = new Uint8Array(capacity);
      r.set(this.rim);
      this.rim = r;
    }
    const index = this.count++;
    this.gx[index] = x;
    this.gy[index] = y;
    this.z[index] = z;
    this.rim[index] = rim ? 1 : 0;
    return index;
  }

  /**
   * Twice the signed area of a, b, c in grid coordinates. Grid y grows downwards and the mesh's Y
   * upwards, so a triangle counter-clockwise seen from above has a negative cross product here.
   */
  cross(a: number, b: number, c: number): number {
    const { gx, gy } = this;
    return (gx[b]! - gx[a]!) * (gy[c]! - gy[a]!) - (gy[b]! - gy[a]!) * (gx[c]! - gx[a]!);
  }
}

/** Three vertex indices per triangle. */
export class TriangleList {
  indices: Int32Array = new Int32Array(3 * 1024);
  length = 0;

  /** Appends a, b, c, turned if need be so the normal points up (`up`) or down. */
  add(vertices: Vertices, a: number, b: number, c: number, up: boolean): void {
    const cross = vertices.cross(a, b, c);
    if (cross === 0) throw new Error('relief: degenerate triangle');
    if (cross < 0 === up) this.push(a, b, c);
    else this.push(a, c, b);
  }

  push(a: number, b: number, c: number): void {
    if (this.length + 3 > this.indices.length) {
      const grown = new Int32Array(2 * this.indices.length);
      grown.set(this.indices);
      this.indices = grown;
    }
    this.indices[this.length++] = a;
    this.indices[this.length++] = b;
    this.indices[this.length++] = c;
  }

  /** The triangles as a tight array. */
  view(): Int32Array {
    return this.indices.subarray(0, this.length);
  }
}

function growFloat(array: Float64Array, capacity: number): Float64Array {
  const out = new Float64Array(capacity);
  out.set(array);
  return out;
}
