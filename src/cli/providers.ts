import type { TokenProvider, TokenProviderOptions } from '../core/provider.js';
import type { DbToken } from '../core/token.js';
import type { AzureTokenCredential } from '../sources/azure/entra.js';
import type { Context } from './context.js';
import type { AzureProviderPlan, GcpProviderPlan, ProviderPlan } from './provider-options.js';

/** A provider, and the database user a token of it logs in as, when known (for `token --json`). */
export interface OpenedProvider {
  readonly provider: TokenProvider;
  userOf(token: DbToken): string | undefined;
}

/**
 * The token provider a plan describes, tracked by `ctx` so that its tokens
 * can be redacted. Each provider's module (and so its SDK) loads only here.
 */
export async function openProvider(plan: ProviderPlan, ctx: Context): Promise<TokenProvider> {
  if (plan.kind === 'azure' || plan.kind === 'gcp') return (await openProviderWithUser(plan, ctx)).provider;
  const options: TokenProviderOptions | undefined = ctx.logger ? { logger: ctx.logger } : undefined;
  switch (plan.kind) {
    case 'aws': {
      const { awsRdsTokenIn } = await import('../sources/aws/rds.js');
      ctx.log(`awsRdsToken for ${plan.username} at ${plan.hostname}:${plan.port} in ${plan.region ?? 'the region'} of ${plan.regionFrom}, credentials from the AWS SDK's default chain`);
      const config = { hostname: plan.hostname, port: plan.port, username: plan.username, ...(plan.region !== undefined ? { region: plan.region } : {}) };
      return ctx.track(awsRdsTokenIn(ctx.io.env, config, options));
    }
    case 'dsql': {
      const { awsDsqlTokenIn } = await import('../sources/aws/dsql.js');
      ctx.log(`awsDsqlToken for ${plan.admin ? 'the admin role (DbConnectAdmin)' : `role ${plan.username} (DbConnect)`} at ${plan.hostname} in ${plan.region ?? 'the region'} of ${plan.regionFrom}, credentials from the AWS SDK's default chain`);
      const config = {
        hostname: plan.hostname,
        username: plan.username,
        admin: plan.admin,
        ...(plan.region !== undefined ? { region: plan.region } : {}),
        ...(plan.expiresIn !== undefined ? { expiresIn: plan.expiresIn } : {}),
      };
      return ctx.track(awsDsqlTokenIn(ctx.io.env, config, options));
    }
    case 'oci': {
      const { ociDbToken } = await import('../oci.js');
      ctx.log(`ociDbToken for scope ${plan.scope}, auth ${plan.auth.type}${plan.region ? `, region ${plan.region}` : ''}${plan.endpoint ? `, endpoint ${plan.endpoint}` : ''}`);
      const { kind: _kind, ...config } = plan;
      return ctx.track(ociDbToken(config, options));
    }
    case 'heatwave': {
      const { heatwaveOciToken } = await import('../oci.js');
      ctx.log(`heatwaveOciToken from profile ${plan.profile ?? 'DEFAULT'} of ${plan.configFile ?? '~/.oci/config'}`);
      const { kind: _kind, ...config } = plan;
      return ctx.track(heatwaveOciToken(config, options));
    }
  }
}

/**
 * An Azure or Google Cloud provider, tracked by `ctx`, with the user its
 * tokens log in as. A plan that needs no user (`token azure`, `token gcp`
 * without --user) gets a provider that does not insist on one: a service
 * principal's token, which names no role, is still printed.
 */
export async function openProviderWithUser(plan: AzureProviderPlan | GcpProviderPlan, ctx: Context): Promise<OpenedProvider> {
  const options: TokenProviderOptions | undefined = ctx.logger ? { logger: ctx.logger } : undefined;
  const { createProvider } = await import('../core/provider.js');
  const needsUser = plan.username !== undefined || plan.userFromToken;
  if (plan.kind === 'azure') {
    const entra = await import('../sources/azure/entra.js');
    const credential = await defaultAzureCredential(plan, ctx);
    ctx.log(`azureEntraToken ${plan.username !== undefined ? `for ${plan.username}` : needsUser ? "for the user the token names (its upn)" : 'for any user'}, credentials from DefaultAzureCredential`);
    if (needsUser) {
      const provider = ctx.track(entra.azureEntraToken({ credential, ...(plan.username !== undefined ? { username: plan.username } : {}) }, options));
      return { provider, userOf: () => provider.target?.user };
    }
    const provider = ctx.track(createProvider(entra.azureEntraSource(entra.validateAzureEntraConfig({ credential })), options, { label: 'azure:(any user)' }));
    return {
      provider,
      userOf: (t) => {
        try {
          return entra.entraUserOf(t.token);
        } catch {
          return undefined; // a service principal's token names no user
        }
      },
    };
  }
  const gcp = await import('../sources/gcp/cloud-sql.js');
  const { cloudSqlUser } = await import('../sources/gcp/users.js');
  ctx.log(`gcpCloudSqlToken (${plan.engine}) ${plan.username !== undefined ? `for ${plan.username}` : "for Cloud SQL's name of the principal"}, credentials from ${plan.keyFile ?? 'application default credentials'}`);
  const config = { engine: plan.engine, ...(plan.username !== undefined ? { username: plan.username } : {}), ...(plan.keyFile !== undefined ? { auth: { keyFile: plan.keyFile } } : {}) };
  if (needsUser) {
    const provider = ctx.track(gcp.gcpCloudSqlToken(config, options));
    return { provider, userOf: () => provider.target?.user };
  }
  const principal = { key: JSON.stringify(['cli', 'gcp', plan.engine, plan.keyFile ?? 'adc']) };
  const provider = ctx.track(createProvider(gcp.gcpCloudSqlSource(gcp.validateGcpCloudSqlConfig(config), principal), options, { label: 'gcp:(any user)' }));
  return {
    provider,
    userOf: () => {
      const email = gcp.gcpPrincipalEmail(principal);
      return email === undefined ? undefined : cloudSqlUser(email, plan.engine);
    },
  };
}

/**
 * `@azure/identity`'s DefaultAzureCredential (environment, workload
 * identity, managed identity, az CLI, ...), with instance discovery off for
 * an AZURE_AUTHORITY_HOST outside Microsoft's clouds (see `customAzureAuthority`).
 */
async function defaultAzureCredential(plan: AzureProviderPlan, ctx: Context): Promise<AzureTokenCredential> {
  type Ctor = new (options?: { disableInstanceDiscovery?: boolean }) => AzureTokenCredential;
  const mod = (await import('@azure/identity')) as unknown as { DefaultAzureCredential?: Ctor; default?: { DefaultAzureCredential: Ctor } };
  const DefaultAzureCredential = (mod.DefaultAzureCredential ?? mod.default?.DefaultAzureCredential)!;
  if (plan.customAuthority === undefined) return new DefaultAzureCredential();
  ctx.log(`AZURE_AUTHORITY_HOST ${plan.customAuthority} is not one of Microsoft's clouds: used as given, without instance discovery`);
  return new DefaultAzureCredential({ disableInstanceDiscovery: true });
}
