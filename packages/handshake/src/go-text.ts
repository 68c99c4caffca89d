// Go formatting and parsing rules that go-plugin's messages and fields depend on.

/**
 * Go's `strconv.Atoi` for values that fit a safe integer: optional sign, decimal digits, nothing else.
 * @returns the number, or undefined when Go would fail (or the value is beyond JavaScript's safe range)
 */
export function parseGoInt(s: string): number | undefined {
  if (s.length > 20 || !/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Go's `%q` for printable ASCII, with JSON escapes elsewhere (close enough for messages). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** Go's `strings.TrimSpace` (ASCII and Unicode white space). */
export function trimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');
}
