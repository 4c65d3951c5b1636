/**
 * Seeded pseudo-random numbers: sfc32 (Small Fast Counter), seeded through the cyrb128 string
 * hash. 32-bit integer arithmetic keeps it fast and identical on every platform, and its whole
 * state is four integers, so it can be snapshotted.
 */
export type PrngState = [number, number, number, number];

/** Hashes a string into four 32-bit words (cyrb128). */
export function hashSeed(text: string): PrngState {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box-Muller yields normals in pairs; the second waits here (NaN when none). */
  private spareNormal = Number.NaN;

  constructor(seed: string | PrngState) {
    [this.a, this.b, this.c, this.d] = typeof seed === "string" ? hashSeed(seed) : seed;
    // discard the first outputs: sfc32 mixes its state over a few rounds
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  nextInt(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /** Standard normal by Box-Muller. */
  nextNormal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1], so the log is finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** The whole state, to resume the exact same sequence later. */
  snapshot(): { words: PrngState; spareNormal: number | null } {
    return {
      words: [this.a, this.b, this.c, this.d],
      spareNormal: Number.isNaN(this.spareNormal) ? null : this.spareNormal,
    };
  }

  static restore(state: { words: PrngState; spareNormal: number | null }): Prng {
    const prng = Object.create(Prng.prototype) as Prng;
    [prng.a, prng.b, prng.c, prng.d] = state.words;
    prng.spareNormal = state.spareNormal ?? Number.NaN;
    return prng;
  }
}
