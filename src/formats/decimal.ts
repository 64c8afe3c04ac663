/**
 * Decimal arithmetic on bigint for money and quantities. Amounts stay strings in the model; this
 * helper only sums and compares them, so a scaled bigint is all that is needed (no dependency).
 */
export interface Decimal {
  /** Unscaled value: the number is `units / 10^scale`. */
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * Parses a plain decimal ("12", "-0.5", ".75", "3.", "+1"). Exponents, thousands separators and empty
 * strings are rejected (undefined): callers turn that into a located diagnostic.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? "";
  if (intPart === "" && fracPart === "") return undefined;
  const digits = BigInt(`${intPart}${fracPart}` || "0");
  return { units: m[1] === "-" ? -digits : digits, scale: fracPart.length };
}

export const isDecimal = (text: string): boolean => parseDecimal(text) !== undefined;

/** X12 `N2`-style implied decimals: "5635800" with 2 implied places is 56358.00. */
export function impliedDecimal(text: string, places: number): Decimal | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const units = BigInt(text);
  return { units, scale: places };
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function sub(a: Decimal, b: Decimal): Decimal {
  return add(a, negate(b));
}

export function negate(a: Decimal): Decimal {
  return { units: -a.units, scale: a.scale };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Division by a power of ten (price bases such as "per hundred"): exact, no rounding needed. */
export function divPow10(a: Decimal, exponent: number): Decimal {
  return { units: a.units, scale: a.scale + exponent };
}

export function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const abs = (a: Decimal): Decimal => (a.units < 0n ? negate(a) : a);

/** Rounds half away from zero to `places` decimals (used to compare computed sums with stated totals). */
export function round(a: Decimal, places: number): Decimal {
  if (a.scale <= places) return a;
  const factor = 10n ** BigInt(a.scale - places);
  const q = a.units / factor;
  const r = a.units % factor;
  const twice = (r < 0n ? -r : r) * 2n;
  const bump = twice >= factor ? (a.units < 0n ? -1n : 1n) : 0n;
  return { units: q + bump, scale: places };
}

/**
 * Text without exponent or leading "+", at the value's own scale (so "8.60" stays "8.60" and an N2 total
 * keeps its cents) unless `places` fixes the scale.
 */
export function format(a: Decimal, places?: number): string {
  const d = places === undefined ? a : withScale(a, places);
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, "0");
  const body = d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  return negative ? `-${body}` : body;
}

function withScale(a: Decimal, places: number): Decimal {
  return a.scale > places ? round(a, places) : { units: rescale(a, places), scale: places };
}

/** Sum of decimal strings; undefined entries are skipped. */
export function sum(values: Iterable<string | undefined>): Decimal {
  let total = ZERO;
  for (const v of values) {
    if (v === undefined) continue;
    const d = parseDecimal(v);
    if (d) total = add(total, d);
  }
  return total;
}

/** Normalises a decimal string ("+0012.50" -> "12.50"); returns undefined when it is not a decimal. */
export function canonical(text: string): string | undefined {
  const d = parseDecimal(text);
  return d ? format(d) : undefined;
}
