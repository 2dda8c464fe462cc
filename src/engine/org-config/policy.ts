import type { OrgFile } from '../../config/org-file.ts';
import { unknownKindMessage } from '../../config/org-file-refs.ts';
import { planLimits } from '../plans.ts';

export interface PolicyIssue {
  path: string;
  message: string;
}

/**
 * The plan's resource limit (docs/architecture.md §2, plans.ts; an org's `maxResources` setting overrides
 * it). Only active resources count: an inactive one cannot be used. Lives in the engine because
 * the plan table does; `config validate` calls it too.
 */
export function resourceLimitIssues(file: OrgFile): PolicyIssue[] {
  return file.organizations.flatMap((org, i) => {
    const limit = planLimits(org.plan, org.settings).maxResources;
    const active = org.resources.filter((r) => r.active).length;
    if (limit === null || active <= limit) return [];
    return [
      {
        path: `organizations[${i}].resources`,
        message: `organization ${org.slug} lists ${active} active resources but the ${org.plan} plan allows ${limit}; deactivate some (active: false) or choose a larger plan`,
      },
    ];
  });
}

/** Resource kinds no provider of this build handles (the engine gets the list from main/, not from cloud/). */
export function unknownKindIssues(file: OrgFile, knownKinds: readonly string[]): PolicyIssue[] {
  return file.organizations.flatMap((org, o) =>
    org.resources.flatMap((r, i) =>
      knownKinds.includes(r.kind)
        ? []
        : [{ path: `organizations[${o}].resources[${i}].kind`, message: unknownKindMessage(r.kind, knownKinds) }],
    ),
  );
}
