/** What the EC2 fake keeps in memory; tests may read it directly (see FakeEc2 helpers). */
export interface Tag {
  key: string;
  value: string;
}

export interface SgRule {
  id: string;
  groupId: string;
  isEgress: boolean;
  ipProtocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4?: string | undefined;
  cidrIpv6?: string | undefined;
  prefixListId?: string | undefined;
  description?: string | undefined;
  tags: Tag[];
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  tags: Tag[];
}

export interface PrefixListEntry {
  cidr: string;
  description?: string | undefined;
}

export interface PrefixList {
  id: string;
  name: string;
  addressFamily: 'IPv4' | 'IPv6';
  maxEntries: number;
  version: number;
  state: string;
  entries: PrefixListEntry[];
  ownerId: string;
  /** Entries of earlier versions, for GetManagedPrefixListEntries TargetVersion. */
  history?: Map<number, PrefixListEntry[]> | undefined;
  /** Describes that still see `modify-in-progress` (when Ec2State.prefixListSettleReads is set). */
  settleReadsLeft?: number | undefined;
}

export interface Ec2State {
  groups: Map<string, SecurityGroup>;
  rules: SgRule[];
  prefixLists: Map<string, PrefixList>;
  /** AWS default quota "Inbound or outbound rules per security group", enforced separately for IPv4 and IPv6. */
  maxRulesPerGroup: number;
  /** How long a prefix list stays `modify-in-progress` after a change (0: done on the next tick). */
  prefixListSettleMs: number;
  /** If > 0: a change completes only after this many DescribeManagedPrefixLists saw it in progress (deterministic tests). */
  prefixListSettleReads: number;
}

export function createState(): Ec2State {
  return { groups: new Map(), rules: [], prefixLists: new Map(), maxRulesPerGroup: 60, prefixListSettleMs: 0, prefixListSettleReads: 0 };
}
