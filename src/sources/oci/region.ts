/**
 * Pure helpers for OCI regions and the Identity Data Plane endpoint.
 */

/** Second-level domains of the realms other than OC1 (`oraclecloud.com`), by region. */
const REALM_DOMAINS: Readonly<Record<string, string>> = {
  'us-langley-1': 'oraclegovcloud.com',
  'us-luke-1': 'oraclegovcloud.com',
  'us-gov-ashburn-1': 'oraclegovcloud.com',
  'us-gov-chicago-1': 'oraclegovcloud.com',
  'us-gov-phoenix-1': 'oraclegovcloud.com',
  'uk-gov-london-1': 'oraclegovcloud.uk',
  'uk-gov-cardiff-1': 'oraclegovcloud.uk',
  'ap-chiyoda-1': 'oraclecloud8.com',
  'ap-ibaraki-1': 'oraclecloud8.com',
  'me-dcc-muscat-1': 'oraclecloud9.com',
  'me-ibri-1': 'oraclecloud9.com',
  'ap-dcc-canberra-1': 'oraclecloud10.com',
  'eu-dcc-milan-1': 'oraclecloud14.com',
  'eu-dcc-milan-2': 'oraclecloud14.com',
  'eu-dcc-dublin-1': 'oraclecloud14.com',
  'eu-dcc-dublin-2': 'oraclecloud14.com',
  'eu-dcc-rating-1': 'oraclecloud14.com',
  'eu-dcc-rating-2': 'oraclecloud14.com',
  'ap-dcc-gazipur-1': 'oraclecloud15.com',
  'eu-frankfurt-2': 'oraclecloud.eu',
  'eu-madrid-2': 'oraclecloud.eu',
  'eu-jovanovac-1': 'oraclecloud20.com',
  'me-dcc-doha-1': 'oraclecloud21.com',
  'me-alrayyan-1': 'oraclecloud21.com',
  'us-somerset-1': 'oraclecloud23.com',
  'us-thames-1': 'oraclecloud23.com',
  'eu-dcc-zurich-1': 'oraclecloud24.com',
  'eu-crissier-1': 'oraclecloud24.com',
  'me-abudhabi-3': 'oraclecloud26.com',
  'me-alain-1': 'oraclecloud26.com',
  'me-abudhabi-2': 'oraclecloud29.com',
  'me-abudhabi-4': 'oraclecloud29.com',
  'ap-seoul-2': 'oraclecloud35.com',
  'ap-suwon-1': 'oraclecloud35.com',
  'ap-chuncheon-2': 'oraclecloud35.com',
  'us-ashburn-2': 'oraclecloud42.com',
  'us-newark-1': 'oraclecloud42.com',
  'eu-budapest-1': 'oraclecloud51.com',
  'sa-riodejaneiro-1': 'oraclecloud52.com',
};

const REGION = /^[a-z]{2,3}(?:-[a-z]+)+-\d+$/;

/**
 * True when `region` is shaped like an OCI region id (`us-ashburn-1`, `eu-dcc-milan-2`).
 *
 * @example
 * ```ts
 * isOciRegion('us-ashburn-1');   // true
 * isOciRegion('eu-dcc-milan-2'); // true
 * isOciRegion('Ashburn');        // false
 * ```
 */
export function isOciRegion(region: string): boolean {
  return REGION.test(region);
}

/**
 * The Identity Data Plane base URL of a region:
 * `https://auth.<region>.<realm's domain>` (`oraclecloud.com` for the
 * commercial realm, and the sovereign, government and dedicated realms' own
 * domains).
 *
 * @example
 * ```ts
 * identityDataPlaneEndpoint('eu-frankfurt-1');  // 'https://auth.eu-frankfurt-1.oraclecloud.com'
 * identityDataPlaneEndpoint('us-gov-ashburn-1'); // 'https://auth.us-gov-ashburn-1.oraclegovcloud.com'
 * ```
 */
export function identityDataPlaneEndpoint(region: string): string {
  return `https://auth.${region}.${REALM_DOMAINS[region] ?? 'oraclecloud.com'}`;
}
