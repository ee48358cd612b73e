/**
 * Microsoft Entra ID tokens for Azure Database for PostgreSQL and MySQL
 * flexible servers.
 *
 * @example
 * ```ts
 * import { azureEntraToken } from 'dbtoken/azure';
 * const token = azureEntraToken({ username: 'orders-api', hostname: 'orders.postgres.database.azure.com' });
 * ```
 * @module dbtoken/azure
 */
export { azureEntraToken, AZURE_DATABASE_SCOPE, type AzureAccessToken, type AzureEntraTokenConfig, type AzureTokenCredential } from './sources/azure/entra.js';
