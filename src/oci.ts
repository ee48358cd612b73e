/**
 * Oracle Cloud Infrastructure: MySQL HeatWave IAM logins.
 *
 * @example
 * ```ts
 * import { heatwaveOciToken } from 'dbtoken/oci';
 * const token = heatwaveOciToken({ profile: 'DEFAULT' });
 * ```
 * @module dbtoken/oci
 */
export { heatwaveOciToken, MAX_SECURITY_TOKEN_BYTES, NEVER, type HeatwaveOciTokenConfig } from './heatwave.js';
