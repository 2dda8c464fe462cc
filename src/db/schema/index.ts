export * from './organizations.ts';
export * from './access.ts';
export {
  sessions,
  sessionRules,
  resourceEntries,
  approvals,
  chatMessageRefs,
  claims,
  checkLinks,
  auditEvents,
  auditChain,
  auditChainHeads,
  SESSION_STATES,
  RULE_STATES,
  ENTRY_STATES,
  ENDED_REASONS,
} from './sessions.ts';
export type {
  SessionState,
  RuleState,
  EntryState,
  EndedReason,
  SessionOrigin,
  ApprovalStatus,
  ActorType,
  AuditResult,
} from './sessions.ts';
export * from './slack.ts';
export * from './workers.ts';
export * from './outbox.ts';
export * from './throttle.ts';
