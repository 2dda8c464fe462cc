import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The slice of Microsoft Entra ID (AAD) that @azure/identity's ClientSecretCredential talks to
 * when `authorityHost` points here and instance discovery is off: the tenant's OpenID metadata
 * and the v2 token endpoint (client-credentials grant). Lets tests exercise the real credential
 * without ever reaching login.microsoftonline.com.
 */

/** What a principal may do on ARM: `contributor` everything, `reader` GETs only, `none` nothing. */
export type FakeRole = 'contributor' | 'reader' | 'none';

export interface FakePrincipal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  role: FakeRole;
}

export interface AadReply {
  status: number;
  body: unknown;
}

export class FakeAad {
  readonly principals = new Map<string, FakePrincipal>();
  private readonly tokens = new Map<string, FakePrincipal>();

  addPrincipal(p: Partial<FakePrincipal> = {}): FakePrincipal {
    const principal: FakePrincipal = {
      tenantId: p.tenantId ?? randomUUID(),
      clientId: p.clientId ?? randomUUID(),
      clientSecret: p.clientSecret ?? randomBytes(12).toString('base64url'),
      role: p.role ?? 'contributor',
    };
    this.principals.set(principal.clientId, principal);
    return principal;
  }

  /** The principal a bearer token was issued to, if any. */
  principalFor(token: string): FakePrincipal | undefined {
    return this.tokens.get(token);
  }

  /** Handles `/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/oauth2/v2.0/token`, else undefined. */
  handle(method: string, pathname: string, rawBody: string, base: string): { op: string; reply: AadReply } | undefined {
    const meta = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(pathname);
    if (meta && method === 'GET') return { op: 'aad.openid', reply: this.metadata(meta[1]!, base) };
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(pathname);
    if (token && method === 'POST') return { op: 'aad.token', reply: this.token(token[1]!, new URLSearchParams(rawBody)) };
    return undefined;
  }

  private knownTenant(tenant: string): boolean {
    return [...this.principals.values()].some((p) => p.tenantId === tenant);
  }

  private metadata(tenant: string, base: string): AadReply {
    if (!this.knownTenant(tenant)) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    const t = `${base}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${t}/oauth2/v2.0/logout`,
        jwks_uri: `${t}/discovery/v2.0/keys`,
        issuer: `${t}/v2.0`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        tenant_region_scope: 'EU',
      },
    };
  }

  private token(tenant: string, form: URLSearchParams): AadReply {
    const p = this.principals.get(form.get('client_id') ?? '');
    if (!p || p.tenantId !== tenant) {
      return aadError(400, 'unauthorized_client', 700016,
        `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'.`);
    }
    if (form.get('grant_type') !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, 'Unsupported grant type.');
    if (form.get('client_secret') !== p.clientSecret) {
      return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    const accessToken = `fake.${randomBytes(18).toString('base64url')}`;
    this.tokens.set(accessToken, p);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
  }
}

function aadError(status: number, error: string, code: number, text: string): AadReply {
  const traceId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      correlation_id: randomUUID(),
    },
  };
}
