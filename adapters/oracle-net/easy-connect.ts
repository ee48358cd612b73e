/**
 * Easy Connect strings (`tcps://host:port/service?key=value`), expanded by
 * node-oracledb's own resolver (see driver.ts) to the descriptor it
 * connects with. The driver pastes `?` parameter values into that
 * descriptor as they are, so a value can add an ADDRESS: dbtoken checks the
 * expansion, not the string.
 */
import { driverRefusal, type OracleNetReader } from './driver.js';

/**
 * The descriptor an Easy Connect string stands for, or why it is not read.
 *
 * @example
 * ```ts
 * const r: EasyConnect = easyConnectDescriptor('tcps://db:1522/svc', net);
 * // { descriptor: '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))' }
 * ```
 */
export type EasyConnect = { readonly descriptor: string } | { readonly error: string };

/**
 * Longer Easy Connect strings are refused: the driver's resolver takes time
 * that grows with the square of the `?` parameters' length (20,000
 * characters take over a second), and real ones are a few hundred.
 */
const MAX_EASY_CONNECT = 2048;

/**
 * Expands an Easy Connect string to the descriptor node-oracledb's thin
 * driver connects with: `[[tcp|tcps:]//]host1[,host2][:port][;host3...][/service][:server][/instance][?key=value&...]`.
 *
 * @example
 * ```ts
 * easyConnectDescriptor('tcps://a,b:1522/svc?retry_count=2', net);
 * // { descriptor: '(DESCRIPTION=(LOAD_BALANCE=ON)(RETRY_COUNT=2)(ADDRESS=(PROTOCOL=tcps)(HOST=a)(PORT=1522))(ADDRESS=(PROTOCOL=tcps)(HOST=b)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))' }
 * easyConnectDescriptor('ipc://x', net); // { error: 'node-oracledb refuses it (NJS-515)' }
 * ```
 */
export function easyConnectDescriptor(connectString: string, net: OracleNetReader): EasyConnect {
  if (connectString.length > MAX_EASY_CONNECT) return { error: `it is longer than ${MAX_EASY_CONNECT} characters, which dbtoken does not read as Easy Connect` };
  try {
    return { descriptor: net.easyConnect(connectString.trim()) };
  } catch (err) {
    return { error: driverRefusal(err) };
  }
}
