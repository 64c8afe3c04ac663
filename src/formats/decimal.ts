/**
 * Decimal arithmetic on bigint for money and quantities. Amounts stay strings in the model; this
 * helper only sums and compares them, so a scaled bigint is all that is needed (no dependency).
 */
export interface Decimal {
  /** Unscaled value: the number is `units / 10^scale`. */
  readonly units: bigint;
  readonly scale: number;
}

/**
 * Parses a plain decimal ("12", "-0.5", ".75", "3.", "+1"). Exponents, thousands separators and empty
 * strings are rejected (undefined): callers turn that into a located diagnostic. A character loop rather than
 * a regular expression: totals of every invoice are parsed, and up to 15 digits need no bigint from text.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const n = text.length;
  let i = 0;
  const sign = n > 0 ? text.charCodeAt(0) : 0;
  if (sign === 43 || sign === 45) i = 1;
  let digits = 0;
  let value = 0;
  let point = -1;
  for (let p = i; p < n; p++) {
    const c = text.charCodeAt(p);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) point = p;
    else return undefined;
  }
  if (digits === 0) return undefined;
  const scale = point < 0 ? 0 : n - point - 1;
  let units: bigint;
  if (digits <= 15) units = BigInt(value);
  else {
    const body = point < 0 ? text.slice(i) : text.slice(i, point) + text.slice(point + 1);
    units = BigInt(body);
  }
  return { units: sign === 45 ? -units : units, scale };
}

export const isDecimal = (text: string): boolean => parseDecimal(text) !== undefined;

/** X12 `N2`-style implied decimals: "5635800" with 2 implied places is "56358.00". */
export function impliedDecimal(text: string, places: number): string | undefined {
  const m = /^([+-]?)(\d+)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2]!.replace(/^0+(?=\d)/, "").padStart(places + 1, "0");
  const body = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return m[1] === "-" && /[1-9]/.test(digits) ? `-${body}` : body;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** Powers of ten, cached: computing 10n ** k on every addition dominated the sums. */
const POW10: bigint[] = [1n];
function pow10(k: number): bigint {
  for (let i = POW10.length; i <= k; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[k]!;
}

function rescale(d: Decimal, scale: number): bigint {
  return scale === d.scale ? d.units : d.units * pow10(scale - d.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
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
  const factor = pow10(a.scale - places);
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

/** What `smallParts` found (module-level, so that the hot paths allocate nothing per value). */
let partNegative = false;
let partDigits = 0;
let partScale = 0;

/**
 * The parts of a plain decimal ("-12.50": negative, 1250, scale 2) into `partNegative`, `partDigits` and
 * `partScale` when it has at most 15 digits, so that it fits a double exactly; false otherwise. A character
 * loop: the hot paths (line amounts, sums) call it for every line of every invoice.
 */
function smallParts(text: string): boolean {
  const n = text.length;
  let i = 0;
  const negative = n > 0 && text.charCodeAt(0) === 45;
  if (negative) i = 1;
  let value = 0;
  let count = 0;
  let scale = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      count++;
    } else if (c === 46 && scale < 0) scale = 0;
    else return false;
    if (scale >= 0 && c !== 46) scale++;
  }
  if (count === 0 || count > 15) return false;
  partNegative = negative;
  partDigits = value;
  partScale = Math.max(scale, 0);
  return true;
}

/** "00".."99": the cents of an amount without cutting them out of a longer string. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

function plainText(units: number, scale: number, negative: boolean): string {
  let body: string;
  if (scale === 2) {
    // The usual scale of an extended amount: whole part and cents by arithmetic (fewer strings per line).
    const whole = Math.floor(units / 100);
    body = `${whole}.${TWO_DIGITS[units - whole * 100]}`;
  } else {
    const digits = String(units).padStart(scale + 1, "0");
    body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative && units !== 0 ? `-${body}` : body;
}

/**
 * Sum of decimal strings; undefined entries (and non-decimals) are skipped. Runs on doubles holding scaled
 * integers while they stay exact (below 2^53), and redoes the sum with bigint when they would not.
 */
export function sum(values: readonly (string | undefined)[]): Decimal {
  let units = 0;
  let scale = 0;
  for (const v of values) {
    if (v === undefined) continue;
    if (!smallParts(v)) return sumExact(values);
    if (partScale > scale) {
      units *= 10 ** (partScale - scale);
      scale = partScale;
    }
    const n = partDigits * 10 ** (scale - partScale);
    units += partNegative ? -n : n;
    if (!Number.isSafeInteger(units) || !Number.isSafeInteger(n)) return sumExact(values);
  }
  return { units: BigInt(units), scale };
}

function sumExact(values: readonly (string | undefined)[]): Decimal {
  let total = ZERO;
  for (const v of values) {
    if (v === undefined) continue;
    const d = parseDecimal(v);
    if (d) total = add(total, d);
  }
  return total;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Whether `t[s, e)` is a canonical decimal (`-?(0|[1-9]\d*)(\.\d+)?`: "12.50", "-3", "0.5"; not "007", "+1",
 * "1,234"), the form nearly every amount in a file has. Checked in place, without a regular expression or
 * cutting the text out: parsers call it for every number they read.
 */
export function isCanonicalAt(t: string, s: number, e: number): boolean {
  let i = s;
  if (t.charCodeAt(i) === 45) i++;
  if (i >= e) return false;
  const c = t.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < e && isDigit(t.charCodeAt(i))) i++;
  } else return false;
  if (i === e) return true;
  if (t.charCodeAt(i) !== 46 || i + 1 === e) return false;
  for (i++; i < e; i++) if (!isDigit(t.charCodeAt(i))) return false;
  return true;
}

/** Normalises a decimal string ("+0012.50" -> "12.50"); returns undefined when it is not a decimal. */
export function canonical(text: string): string | undefined {
  // Most values already are canonical: no bigint needed for them.
  if (isCanonicalAt(text, 0, text.length)) return text === "-0" ? "0" : text;
  const d = parseDecimal(text);
  return d ? format(d) : undefined;
}

/**
 * Product of two decimal strings, exact. Products of up to 15 significant digits (every price times
 * quantity on an invoice) are computed with doubles, exact below 2^53; larger ones with bigint.
 */
export function multiply(a: string, b: string): string | undefined {
  if (smallParts(a)) {
    const negative = partNegative;
    const digits = partDigits;
    const scale = partScale;
    if (smallParts(b) && digits * partDigits < 2 ** 53)
      return plainText(digits * partDigits, scale + partScale, negative !== partNegative);
  }
  const dx = parseDecimal(a);
  const dy = parseDecimal(b);
  return dx && dy ? format(mul(dx, dy)) : undefined;
}
