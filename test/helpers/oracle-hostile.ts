/**
 * Hand-written connect strings (and tnsnames.ora files) that try to get an
 * OCI db-token sent without TLS. Each points every address at 127.0.0.1:port.
 */
export interface HostileRow {
  readonly name: string;
  readonly connectString: (port: number) => string;
  /** Files to write into a fresh configDir (tnsnames.ora and what it includes); `dir` is that directory. */
  readonly files?: (port: number, dir: string) => Readonly<Record<string, string>>;
  /** `refused`: the check must refuse it. `tls`: the check accepts it and the driver sends only TLS. */
  readonly verdict: 'refused' | 'tls';
  /** Handed to the driver anyway, it sends a cleartext TNS CONNECT: the string is a real leak, not a theory. */
  readonly leaks?: true;
  /**
   * node-oracledb 7 and later, applying connect-string overrides (with
   * `thickModeDSNPassthrough` off), print the descriptor back without its
   * quotes and connect from that: handed over so, the driver sends a
   * cleartext TNS CONNECT.
   */
  readonly reprintLeaks?: true;
}

const H = '127.0.0.1';
const tcps = (p: number) => `(ADDRESS=(PROTOCOL=TCPS)(HOST=${H})(PORT=${p}))`;
const cd = '(CONNECT_DATA=(SERVICE_NAME=svc))';

export const HOSTILE: readonly HostileRow[] = [
  {
    name: 'reprinted: a quoted value holding a TCP address ahead of the TCPS one',
    connectString: (p) => `(DESCRIPTION=(ADDRESS=(X="y)(PROTOCOL=tcp)(HOST=${H})(PORT=${p})(Z=")(PROTOCOL=tcps)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
    reprintLeaks: true,
  },
  {
    name: 'reprinted: a tnsnames.ora entry whose quoted SERVICE_NAME holds a TCP address',
    connectString: () => 'db',
    files: (p) => ({ 'tnsnames.ora': `db = (DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=${H})(PORT=${p}))(CONNECT_DATA=(SERVICE_NAME='svc))(ADDRESS=(PROTOCOL=tcp)(HOST=${H})(PORT=${p})')))\n` }),
    verdict: 'refused',
    reprintLeaks: true,
  },
  {
    name: 'bypass 1: a TCPS address with a quoted-TCP failover address',
    connectString: (p) => `(DESCRIPTION=(ADDRESS_LIST=${tcps(p)}(ADDRESS=(PROTOCOL="tcp")(HOST=${H})(PORT=${p})))${cd})`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'bypass 2: a quoted-TCP address with (PROTOCOL=TCPS) placed in CONNECT_DATA',
    connectString: (p) => `(DESCRIPTION=(ADDRESS=(PROTOCOL='TCP')(HOST=${H})(PORT=${p}))(CONNECT_DATA=(SERVICE_NAME=svc)(PROTOCOL=TCPS)))`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'quoted TCP with spaces inside the quotes',
    connectString: (p) => `(DESCRIPTION=${tcps(p)}(ADDRESS=(PROTOCOL=" tcp ")(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'quoted element names ("ADDRESS"="PROTOCOL") for the TCP address',
    connectString: (p) => `(DESCRIPTION=${tcps(p)}("ADDRESS"=("PROTOCOL"=TCP)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'a DESCRIPTION_LIST whose second DESCRIPTION is quoted TCP',
    connectString: (p) => `(DESCRIPTION_LIST=(DESCRIPTION=${tcps(p)}${cd})(DESCRIPTION=(ADDRESS=(PROTOCOL="TCP")(HOST=${H})(PORT=${p}))${cd}))`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'a top-level ADDRESS_LIST (no DESCRIPTION) with a quoted TCP address',
    connectString: (p) => `(ADDRESS_LIST=${tcps(p)}(ADDRESS=(PROTOCOL='tcp')(HOST=${H})(PORT=${p})))`,
    verdict: 'refused',
  },
  {
    name: 'a PROTOCOL nested deeper in the ADDRESS, found first by the driver',
    connectString: (p) => `(DESCRIPTION=(ADDRESS=(X=(PROTOCOL=TCP))(PROTOCOL=TCPS)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'an ADDRESS with no PROTOCOL next to a TCPS one (the default is TCP)',
    connectString: (p) => `(DESCRIPTION=${tcps(p)}(ADDRESS=(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
  },
  {
    name: 'lower-case keywords, tabs and newlines',
    connectString: (p) => `(description=\n\t(address=(protocol=\ttcp\t)(host=${H})(port=${p}))\n\t(connect_data=(service_name=svc)))`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'an escaped protocol value (TC\\PS)',
    connectString: (p) => `(DESCRIPTION=(ADDRESS=(PROTOCOL=TC\\PS)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'refused',
  },
  {
    name: 'a second descriptor after the first (the driver reads the first only)',
    connectString: (p) => `(DESCRIPTION=${tcps(p)}${cd})(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'tls',
  },
  {
    name: 'Easy Connect: an ADDRESS injected through a quoted ?retry_count value',
    connectString: (p) => `tcps://${H}:${p}/svc?retry_count="0)(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p})"`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'Easy Connect: an ADDRESS injected through ?https_proxy',
    connectString: (p) => `tcps://${H}:${p}/svc?https_proxy="${H}))(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p})"&https_proxy_port=1`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'Easy Connect: an ADDRESS injected through ?pool_purity (CONNECT_DATA)',
    connectString: (p) => `tcps://${H}:${p}/svc?pool_purity="x))(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p})"`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'Easy Connect: an ADDRESS injected through ?ssl_server_dn_match (SECURITY)',
    connectString: (p) => `tcps://${H}:${p}/svc?ssl_server_dn_match="on))(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p})"`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'Easy Connect with // and no protocol (TCP)',
    connectString: (p) => `//${H}:${p}/svc`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'Easy Connect host:port/service (TCP)',
    connectString: (p) => `${H}:${p}/svc`,
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'a configuration provider URL (its descriptor is fetched by the driver)',
    connectString: () => 'config-file:///etc/oracle/db.json',
    verdict: 'refused',
  },
  {
    name: 'tnsnames.ora: an alias with a quoted-TCP failover address',
    connectString: () => 'db_high',
    files: (p) => ({ 'tnsnames.ora': `db_high =\n  (DESCRIPTION =\n    ${tcps(p)}\n    (ADDRESS = (PROTOCOL = "tcp")(HOST = ${H})(PORT = ${p}))\n    ${cd})\n` }),
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'tnsnames.ora: a quoted ")" that ends the descriptor early for a paren counter',
    connectString: () => 'db_high',
    files: (p) => ({ 'tnsnames.ora': `db_high = (DESCRIPTION=${tcps(p)}(CONNECT_DATA=(SERVICE_NAME="s)"))(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p})))\n` }),
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'tnsnames.ora: an IFILE that redefines the alias as TCP',
    connectString: () => 'db_high',
    files: (p, dir) => ({
      'tnsnames.ora': `db_high = (DESCRIPTION=${tcps(p)}${cd})\nIFILE = ${dir}/more.ora\n`,
      'more.ora': `db_high = (DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=${H})(PORT=${p}))${cd})\n`,
    }),
    verdict: 'refused',
    leaks: true,
  },
  {
    name: 'tnsnames.ora: a relative IFILE (the driver reads it from the working directory)',
    connectString: () => 'db_high',
    files: (p) => ({ 'tnsnames.ora': `db_high = (DESCRIPTION=${tcps(p)}${cd})\nIFILE = more.ora\n`, 'more.ora': '' }),
    verdict: 'refused',
  },
  {
    name: 'tnsnames.ora: an IFILE that includes itself',
    connectString: () => 'db_high',
    files: (p, dir) => ({ 'tnsnames.ora': `db_high = (DESCRIPTION=${tcps(p)}${cd})\nIFILE = ${dir}/tnsnames.ora\n` }),
    verdict: 'refused',
  },
  {
    name: 'tnsnames.ora: an Easy Connect alias without tcps://',
    connectString: () => 'db_high',
    files: (p) => ({ 'tnsnames.ora': `db_high = ${H}:${p}/svc\n` }),
    verdict: 'refused',
    leaks: true,
  },
  // Accepted: each must reach the listener with TLS only.
  {
    name: 'accepted: a TCPS descriptor with quoted, spaced, mixed-case protocols',
    connectString: (p) => `(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=" tcps ")(HOST=${H})(PORT=${p}))(address=(protocol='TcPs')(host=${H})(port=${p})))${cd})`,
    verdict: 'tls',
  },
  {
    name: 'accepted: TCPS in every DESCRIPTION of a DESCRIPTION_LIST',
    connectString: (p) => `(DESCRIPTION_LIST=(DESCRIPTION=${tcps(p)}${cd})(DESCRIPTION=(ADDRESS_LIST=${tcps(p)})${cd}))`,
    verdict: 'tls',
  },
  {
    name: 'accepted: tcpſ (long s) upper-cases to TCPS, as the driver compares it',
    connectString: (p) => `(DESCRIPTION=(ADDRESS=(PROTOCOL=tcp\u017f)(HOST=${H})(PORT=${p}))${cd})`,
    verdict: 'tls',
  },
  {
    name: 'accepted: Easy Connect tcps:// with two hosts and parameters',
    connectString: (p) => `tcps://${H}:${p},${H}:${p}/svc?retry_count=0&ssl_server_dn_match=on`,
    verdict: 'tls',
  },
  {
    name: 'accepted: Easy Connect with whitespace inside the scheme (the driver removes it)',
    connectString: (p) => ` T c p s :// ${H} : ${p} / svc`,
    verdict: 'tls',
  },
  {
    name: 'accepted: tnsnames.ora alias through an absolute IFILE',
    connectString: () => 'DB_High',
    files: (p, dir) => ({ 'tnsnames.ora': `# wallet\nIFILE = "${dir}/more.ora"\n`, 'more.ora': `db_high, db_low =\n  (DESCRIPTION = ${tcps(p)} ${cd})\n` }),
    verdict: 'tls',
  },
  {
    name: 'accepted: tnsnames.ora alias to a tcps:// Easy Connect string',
    connectString: () => 'db_high',
    files: (p) => ({ 'tnsnames.ora': `db_high = tcps://${H}:${p}/svc?retry_count=0\n` }),
    verdict: 'tls',
  },
];
