import type { TokenProvider, TokenProviderOptions } from '../core/provider.js';
import type { Context } from './context.js';
import type { ProviderPlan } from './provider-options.js';

/**
 * The token provider a plan describes, tracked by `ctx` so that its tokens
 * can be redacted. Each provider's module (and so its SDK) loads only here.
 */
export async function openProvider(plan: ProviderPlan, ctx: Context): Promise<TokenProvider> {
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
