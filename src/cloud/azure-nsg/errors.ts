import { ProviderError } from '../../engine/ports.ts';

/**
 * The one place Azure SDK, ARM and Entra ID failures become ProviderErrors. Callers pass what
 * was being done to which NSG, so the message tells an admin what to fix. The SDK error is not
 * attached as `cause`: it carries request objects that must not leave `cloud/`.
 */

export interface ErrorContext {
  /** e.g. `rg-prod/nsg-web` */
  nsg: string;
  /** e.g. `update rule entryguard-…-tcp-v4` */
  action: string;
}

type Kind = { code: string; retryable: boolean };

const BY_ARM_CODE: Record<string, Kind> = {
  TooManyRequests: { code: 'THROTTLED', retryable: true },
  SubscriptionRequestsThrottled: { code: 'THROTTLED', retryable: true },
  AnotherOperationInProgress: { code: 'CONFLICT', retryable: true },
  RetryableError: { code: 'CONFLICT', retryable: true },
  OperationPreempted: { code: 'CONFLICT', retryable: true },
  CanceledAndSupersededDueToAnotherOperation: { code: 'CONFLICT', retryable: true },
  Canceled: { code: 'CONFLICT', retryable: true },
  InternalServerError: { code: 'UNAVAILABLE', retryable: true },
  ServiceUnavailable: { code: 'UNAVAILABLE', retryable: true },
  GatewayTimeout: { code: 'UNAVAILABLE', retryable: true },
  NetworkingInternalOperationError: { code: 'UNAVAILABLE', retryable: true },
  AuthorizationFailed: { code: 'FORBIDDEN', retryable: false },
  LinkedAuthorizationFailed: { code: 'FORBIDDEN', retryable: false },
  InvalidAuthenticationToken: { code: 'AUTH_FAILED', retryable: false },
  InvalidAuthenticationTokenTenant: { code: 'AUTH_FAILED', retryable: false },
  AuthenticationFailed: { code: 'AUTH_FAILED', retryable: false },
  ResourceNotFound: { code: 'NOT_FOUND', retryable: false },
  ResourceGroupNotFound: { code: 'NOT_FOUND', retryable: false },
  SubscriptionNotFound: { code: 'NOT_FOUND', retryable: false },
  InvalidSubscriptionId: { code: 'NOT_FOUND', retryable: false },
  NotFound: { code: 'NOT_FOUND', retryable: false },
  SecurityRuleCountLimitReached: { code: 'QUOTA_EXCEEDED', retryable: false },
  SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached: { code: 'QUOTA_EXCEEDED', retryable: false },
  SecurityRulesPerNetworkSecurityGroupLimitReached: { code: 'QUOTA_EXCEEDED', retryable: false },
  QuotaExceeded: { code: 'QUOTA_EXCEEDED', retryable: false },
  SecurityRuleConflict: { code: 'PRIORITY_CONFLICT', retryable: false },
};

const HINTS: Record<string, string> = {
  FORBIDDEN: 'grant the credential the EntryGuard NSG role on this NSG (see src/cloud/azure-nsg/README.md)',
  AUTH_FAILED: 'check the tenant id, client id and secret the credential reference resolves to, and that the secret has not expired',
  NOT_FOUND: 'check the resource identifier (subscription, resource group and NSG name) and that the credential can see that subscription',
  QUOTA_EXCEEDED: 'remove unused rules or prefixes from the NSG, or lower the number of concurrent sessions on it',
  PRIORITY_CONFLICT: 'set config.priority to a range no other inbound rule uses',
  INVALID_RULE: 'check the resource ports and config against Azure security-rule rules',
  TLS_ERROR: 'the Azure endpoint presented a certificate this host does not trust',
  CREDENTIAL_UNAVAILABLE: 'the default credential chain found no identity (managed identity, environment, Azure CLI) on this host',
};

const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN',
  'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_CODES = /^(?:DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT.*|CERT_.*|ERR_TLS_.*)$/;
const LRO_FAILED = /The long-running operation has failed\. ([A-Za-z0-9_.]+)\. ([\s\S]*)$/;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errorResponse?: { error?: string; errorDescription?: string };
  cause?: { status?: number };
  response?: { headers?: { get?: (name: string) => string | undefined } };
}

export function toProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const make = (kind: Kind, detail: string) => build(kind, ctx, detail, requestId(e));

  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return make({ code: 'TIMEOUT', retryable: true }, 'Azure did not answer within the configured timeout (config.timeoutSeconds)');
  }
  if (e.name === 'CredentialUnavailableError') {
    // ClientSecretCredential says this when it cannot reach the authority (or the tenant is unknown);
    // DefaultAzureCredential when no identity exists on this host.
    const unreachable = /endpoints_resolution_error/.test(e.message ?? '');
    return unreachable
      ? make({ code: 'AUTH_UNAVAILABLE', retryable: true }, `could not reach Microsoft Entra ID for the credential's tenant (${e.message ?? ''})`)
      : make({ code: 'CREDENTIAL_UNAVAILABLE', retryable: false }, e.message ?? '');
  }
  if (e.name === 'AuthenticationError' || e.name === 'AuthenticationRequiredError') {
    // Entra ID answered: 4xx is a wrong tenant/client/secret; 429, 5xx or no answer are transient.
    const status = e.statusCode ?? e.cause?.status ?? 0;
    const transient = status === 429 || status >= 500 || status === 0;
    const text = e.errorResponse?.errorDescription ?? e.message ?? '';
    const detail = /(AADSTS\d+:.*?)(?: Trace ID:|$)/.exec(text)?.[1] ?? text;
    return make({ code: transient ? 'AUTH_UNAVAILABLE' : 'AUTH_FAILED', retryable: transient }, detail);
  }
  const lro = LRO_FAILED.exec(e.message ?? '');
  if (lro) {
    // A failed long-running operation surfaces as a plain Error; the ARM code is in the text.
    return make(armKind(lro[1]!) ?? byStatus(undefined, lro[1]!), `${lro[1]}: ${lro[2]}`);
  }
  if (e.code && TLS_CODES.test(e.code)) return make({ code: 'TLS_ERROR', retryable: false }, e.message ?? e.code);
  if (e.code && NETWORK_CODES.has(e.code) && e.statusCode === undefined) {
    return make({ code: 'NETWORK_ERROR', retryable: true }, e.message ?? e.code);
  }
  const kind = (e.code && armKind(e.code)) || byStatus(e.statusCode, e.code);
  return make(kind, `${e.code ? `${e.code}: ` : ''}${e.message ?? 'unknown error'}`);
}

function armKind(code: string): Kind | undefined {
  return Object.hasOwn(BY_ARM_CODE, code) ? BY_ARM_CODE[code] : undefined;
}

function byStatus(status: number | undefined, code: string | undefined): Kind {
  if (code && /LimitReached$|QuotaExceeded$/.test(code)) return { code: 'QUOTA_EXCEEDED', retryable: false };
  if (code && /^(?:SecurityRule|InvalidRequest|ResourceCannotContain|InvalidResourceName|InvalidParameter)/.test(code)) {
    return { code: 'INVALID_RULE', retryable: false };
  }
  if (status === undefined) return { code: 'UNKNOWN', retryable: true };
  if (status === 429) return { code: 'THROTTLED', retryable: true };
  if (status === 409) return { code: 'CONFLICT', retryable: true };
  if (status === 408 || status >= 500) return { code: 'UNAVAILABLE', retryable: true };
  if (status === 401) return { code: 'AUTH_FAILED', retryable: false };
  if (status === 403) return { code: 'FORBIDDEN', retryable: false };
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  return { code: 'INVALID_RULE', retryable: false };
}

function build(kind: Kind, ctx: ErrorContext, detail: string, reqId: string | undefined): ProviderError {
  const hint = HINTS[kind.code];
  const text = detail.replace(/\s+/g, ' ').trim().slice(0, 400);
  const parts = [
    `Azure NSG ${ctx.nsg}: could not ${ctx.action}${kind.retryable ? ' (will retry)' : ''}`,
    text && `Azure said: ${text}`,
    hint && `To fix: ${hint}`,
    reqId && `(request id ${reqId})`,
  ];
  return new ProviderError(kind.code, parts.filter(Boolean).join('. '), { retryable: kind.retryable });
}

function requestId(e: ErrorLike): string | undefined {
  try {
    return e.response?.headers?.get?.('x-ms-request-id') ?? undefined;
  } catch {
    return undefined;
  }
}
