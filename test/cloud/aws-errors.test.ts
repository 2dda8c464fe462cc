import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { awsErrorCode, toProviderError } from '../../src/cloud/aws/errors.ts';
import { ProviderError } from '../../src/engine/ports.ts';

const ctx = { target: 'security group sg-0abc in eu-west-1', action: 'AuthorizeSecurityGroupIngress', credential: 'aws-prod' };

function sdkError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') {
  return new EC2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} from AWS` });
}

describe('toProviderError', () => {
  it.each([
    ['RequestLimitExceeded', 503, 'THROTTLED', true],
    ['Throttling', 400, 'THROTTLED', true],
    ['InternalError', 500, 'PROVIDER_UNAVAILABLE', true],
    ['Unavailable', 503, 'PROVIDER_UNAVAILABLE', true],
    ['SomethingNew', 502, 'PROVIDER_UNAVAILABLE', true],
    ['PrefixListVersionMismatch', 400, 'CONFLICT', true],
    ['IncorrectState', 400, 'CONFLICT', true],
    ['RequestExpired', 400, 'CLOCK_SKEW', true],
    ['AuthFailure', 401, 'AUTH_FAILED', false],
    ['UnauthorizedOperation', 403, 'FORBIDDEN', false],
    ['AccessDenied', 403, 'FORBIDDEN', false],
    ['InvalidGroup.NotFound', 400, 'NOT_FOUND', false],
    ['InvalidPrefixListID.NotFound', 400, 'NOT_FOUND', false],
    ['InvalidGroupId.Malformed', 400, 'NOT_FOUND', false],
    ['RulesPerSecurityGroupLimitExceeded', 400, 'QUOTA_EXCEEDED', false],
    ['PrefixListMaxEntriesExceeded', 400, 'QUOTA_EXCEEDED', false],
    ['InvalidParameterValue', 400, 'INVALID_REQUEST', false],
    ['InvalidPermission.Malformed', 400, 'INVALID_REQUEST', false],
    ['SomethingElse', 400, 'PROVIDER_REJECTED', false],
  ] as const)('%s (%i) → %s', (name, status, code, retryable) => {
    const e = toProviderError(sdkError(name, status), ctx);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ code, retryable });
    expect(e.message).toContain(name);
  });

  it('maps timeouts and network errors as retryable', () => {
    const timeout = Object.assign(new Error('Request did not complete within 150 ms'), { name: 'TimeoutError' });
    expect(toProviderError(timeout, ctx)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toProviderError(reset, ctx)).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    expect(toProviderError(new Error('Unexpected end of XML'), ctx)).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('says what to do and never returns an SDK type', () => {
    const e = toProviderError(sdkError('UnauthorizedOperation', 403), ctx);
    expect(e.message).toContain('credential "aws-prod" may not perform AuthorizeSecurityGroupIngress on security group sg-0abc');
    expect(e.message).toContain('IAM');
    expect(e).not.toBeInstanceOf(EC2ServiceException);
    expect(e.cause).not.toBeInstanceOf(Error);
    expect(e.cause).toMatchObject({ awsCode: 'UnauthorizedOperation', httpStatus: 403 });
    const passthrough = new ProviderError('X', 'y', { retryable: false });
    expect(toProviderError(passthrough, ctx)).toBe(passthrough);
  });

  it('reads the code from name, Code or a Node error code', () => {
    expect(awsErrorCode(sdkError('InvalidPermission.Duplicate', 400))).toBe('InvalidPermission.Duplicate');
    expect(awsErrorCode({ Code: 'X' })).toBe('X');
    expect(awsErrorCode(new Error('plain'))).toBeUndefined();
  });
});
