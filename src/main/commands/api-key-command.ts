import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { organizations, users } from '../../db/schema/index.ts';
import { API_SCOPES, createApiKey, type ApiScope } from '../../engine/api-keys.ts';
import { systemActor } from '../../engine/audit.ts';

export interface ApiKeyRequest {
  org: string;
  email: string;
  name: string;
  scopes: string[];
  expiresInDays?: number | undefined;
}

/** `entryguard api-key create`: prints the new key once. Returns the exit code. */
export async function createApiKeyCommand(db: Db, req: ApiKeyRequest, out: (line: string) => void): Promise<number> {
  const unknown = req.scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    out(`unknown scope(s): ${unknown.join(', ')}; choose from ${API_SCOPES.join(', ')}`);
    return 2;
  }
  const [user] = await db
    .select({ id: users.id, orgId: users.orgId, active: users.isActive })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(and(eq(organizations.slug, req.org), sql`lower(${users.email}) = lower(${req.email})`));
  if (!user || !user.active) {
    out(`no active user ${req.email} in organization ${req.org}`);
    return 2;
  }
  const expiresAt = req.expiresInDays ? new Date(Date.now() + req.expiresInDays * 86_400_000) : undefined;
  const key = await db.transaction((tx) =>
    createApiKey(tx, { orgId: user.orgId, userId: user.id, name: req.name, scopes: req.scopes as ApiScope[], expiresAt, actor: systemActor(user.orgId, 'cli') }),
  );
  out(key.token);
  return 0;
}
