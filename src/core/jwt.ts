/**
 * Pure helpers to read (not verify) a JWT's claims. Messages never contain
 * the token.
 */

/** Why a string is not a JWT we can read. */
export class MalformedJwtError extends Error {}

/** The decoded payload of a compact JWS. Throws {@link MalformedJwtError}. */
export function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || parts[1] === '') {
    throw new MalformedJwtError('not a JWT (expected three base64url parts separated by dots)');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedJwtError('the JWT payload is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new MalformedJwtError('the JWT payload is not a JSON object');
  }
  return payload as Record<string, unknown>;
}

/** The latest `exp` a Date can hold: 8.64e15 ms after the epoch, in seconds. */
const MAX_EXP_SECONDS = 8.64e12;

/**
 * The `exp` claim as a Date. Throws {@link MalformedJwtError} when absent, not
 * a number, not positive, or past what a Date can hold (an `exp` of `1e300`
 * would otherwise be an Invalid Date that compares false with everything).
 */
export function jwtExpiry(token: string): Date {
  const { exp } = jwtPayload(token);
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) {
    throw new MalformedJwtError('the JWT has no numeric exp claim');
  }
  if (exp > MAX_EXP_SECONDS) throw new MalformedJwtError('the JWT exp claim is out of range (after the year 275760)');
  return new Date(exp * 1000);
}
