/**
 * STS AssumeRole on the fake's endpoint (the Query protocol is the same as EC2's): checks the
 * role's trust (caller key, ExternalId) and issues temporary ASIA… keys that the EC2 side then
 * accepts only together with their session token.
 */
import { randomBytes } from 'node:crypto';
import { Ec2Error, OWNER, STS_NS, el, type Q } from './query.ts';

export interface FakeRole {
  arn: string;
  /** When set, AssumeRole must carry exactly this ExternalId (the confused-deputy guard). */
  externalId?: string | undefined;
  /** Access keys allowed to assume the role; empty = any known key. */
  trustedKeys: string[];
  /** EC2 actions the role's sessions are not allowed to call. */
  deniedActions: string[];
}

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
}

export interface AssumeRoleCall {
  roleArn: string;
  externalId: string | undefined;
  sessionName: string | undefined;
  callerKey: string;
}

export function assumeRole(
  roles: Map<string, FakeRole>,
  sessions: Map<string, IssuedSession>,
  calls: AssumeRoleCall[],
  q: Q,
  callerKey: string,
  requestId: string,
): string {
  const roleArn = q.RoleArn ?? '';
  calls.push({ roleArn, externalId: q.ExternalId, sessionName: q.RoleSessionName, callerKey });
  if (!q.RoleSessionName || !/^[\w+=,.@-]{2,64}$/.test(q.RoleSessionName))
    throw new Ec2Error('ValidationError', "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint");
  const role = roles.get(roleArn);
  const trusted = role && (role.trustedKeys.length === 0 || role.trustedKeys.includes(callerKey));
  if (!role || !trusted || (role.externalId !== undefined && role.externalId !== q.ExternalId)) {
    throw new Ec2Error(
      'AccessDenied',
      `User: arn:aws:iam::${OWNER}:user/entryguard is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  }
  const session: IssuedSession = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('base64'),
    sessionToken: randomBytes(32).toString('base64'),
    roleArn,
  };
  sessions.set(session.accessKeyId, session);
  const roleName = roleArn.split('/').pop();
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  return (
    `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult><Credentials>` +
    el('AccessKeyId', session.accessKeyId) + el('SecretAccessKey', session.secretAccessKey) +
    el('SessionToken', session.sessionToken) + el('Expiration', expiration) +
    `</Credentials><AssumedRoleUser>` + el('AssumedRoleId', `AROA${OWNER}:${q.RoleSessionName}`) +
    el('Arn', `arn:aws:sts::${OWNER}:assumed-role/${roleName}/${q.RoleSessionName}`) +
    `</AssumedRoleUser></AssumeRoleResult><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></AssumeRoleResponse>`
  );
}
