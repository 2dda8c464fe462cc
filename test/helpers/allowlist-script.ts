/**
 * Shell commands for a `script` resource that keeps allowed CIDRs in the file $ALLOWLIST, one per
 * line — the same shape the demo organization uses. A file $FAULTS (optional) injects faults:
 * a line `throttle` makes every change exit 75 (retry later); `reject <cidr>` refuses that CIDR.
 */
export function allowlistScripts(): { apply: string; revoke: string; list: string; verify: string } {
  const faults = [
    'if [ -n "$FAULTS" ] && [ -f "$FAULTS" ]; then',
    '  if grep -qx throttle "$FAULTS"; then echo "rate exceeded" >&2; exit 75; fi',
    '  if grep -qxF "reject $EG_CIDR" "$FAULTS"; then echo "refused by policy: $EG_CIDR" >&2; exit 3; fi',
    'fi',
  ].join('\n');
  return {
    apply: `${faults}\ntouch "$ALLOWLIST"\ngrep -qxF "$EG_CIDR" "$ALLOWLIST" || echo "$EG_CIDR" >> "$ALLOWLIST"`,
    revoke: `${faults}\n[ -f "$ALLOWLIST" ] || exit 0\ngrep -vxF "$EG_CIDR" "$ALLOWLIST" > "$ALLOWLIST.tmp" || true\nmv "$ALLOWLIST.tmp" "$ALLOWLIST"`,
    list: 'cat "$ALLOWLIST" 2>/dev/null || true',
    verify: 'touch "$ALLOWLIST"',
  };
}
