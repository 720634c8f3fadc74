// WGSL structs of 4-byte scalars declared once in TS, written with DataViews (no GPU here).

export type ScalarType = 'u32' | 'i32' | 'f32';

/**
 * A WGSL struct of 4-byte scalars declared once in TS: `pack` writes it, `fields` lists it so a
 * test can check it against the WGSL declaration of the same name.
 */
export class ScalarStruct<F extends string> {
  readonly byteSize: number;

  constructor(
    readonly name: string,
    readonly fields: readonly (readonly [F, ScalarType])[],
  ) {
    // Uniform buffers want 16-byte multiples; storage arrays of this struct use stride = byteSize.
    this.byteSize = Math.ceil((fields.length * 4) / 16) * 16;
  }

  /** Writes one struct at `index` (in structs) of `view`; missing fields are 0. */
  write(view: DataView, values: Partial<Record<F, number>>, index = 0): void {
    const base = index * this.byteSize;
    this.fields.forEach(([field, type], i) => {
      const value = values[field] ?? 0;
      const at = base + i * 4;
      if (type === 'f32') view.setFloat32(at, value, true);
      else if (type === 'i32') view.setInt32(at, value, true);
      else view.setUint32(at, value, true);
    });
  }

  pack(values: Partial<Record<F, number>>): ArrayBuffer {
    const data = new ArrayBuffer(this.byteSize);
    this.write(new DataView(data), values);
    return data;
  }

  packArray(items: readonly Partial<Record<F, number>>[]): ArrayBuffer {
    const data = new ArrayBuffer(Math.max(1, items.length) * this.byteSize);
    const view = new DataView(data);
    items.forEach((values, i) => this.write(view, values, i));
    return data;
  }
}
