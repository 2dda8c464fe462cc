import { z } from 'zod';
import { adoptApprovalChannel, type AdoptedApprovalChannel } from '../../engine/adopt-approval-channel.ts';
import { isAppError } from '../../shared/errors.ts';
import { identify, type TeamsHandlerDeps } from './handler-deps.ts';
import type { TeamsTurn } from './transport/turn.ts';
import { isChannel, type InboundActivity } from './types.ts';
import { teamsText } from './escape.ts';
import { welcomeCard } from './cards/start-form.ts';

/** The conversationUpdate Teams sends when members (here: the bot itself) are added. */
const MembersAdded = z.looseObject({
  membersAdded: z.array(z.looseObject({ id: z.string() })).default([]),
  recipient: z.looseObject({ id: z.string() }),
  channelData: z
    .looseObject({
      team: z.looseObject({ id: z.string() }).optional(),
      // The channel the installer picked in Teams' "add to a team" dialog, when it offered one.
      settings: z.looseObject({ selectedChannel: z.looseObject({ id: z.string() }).optional() }).optional(),
    })
    .optional(),
});

const INTRO = 'Hi, I am **EntryGuard**: I open your IP on your cloud firewalls for a limited time.';

/**
 * The app was installed (the bot among the members added). In personal and group chats it says
 * what it does. In a team, when the person who added it is an EntryGuard admin, the channel
 * becomes the approval channel of every role that needs approval and has none yet (never moving
 * one already chosen); anyone else gets the welcome and the command an admin can use instead.
 */
export async function onInstalled(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity): Promise<void> {
  const added = MembersAdded.safeParse(a);
  if (!added.success || !added.data.membersAdded.some((m) => m.id === added.data.recipient.id)) return;
  if (!isChannel(a)) {
    await turn.reply({ text: `${INTRO} Write \`start\` to begin, or \`help\`.`, card: welcomeCard() });
    return;
  }
  const data = added.data.channelData;
  const here = a.conversation.id.split(';')[0]!;
  // A team's id is also its General channel's id, where Teams installs a bot unless told otherwise.
  const channel = data?.settings?.selectedChannel?.id ?? a.channelData?.channel?.id ?? data?.team?.id ?? here;
  const adopted = await adoptAsAdmin(deps, turn, a, channel);
  await turn.reply({ text: [INTRO, 'Write `start` to me in a 1:1 chat.', approvalsLine(adopted, channel === here)].join(' '), card: welcomeCard() });
}

/** Undefined when the installer is not an admin we know (nothing is changed then). */
async function adoptAsAdmin(deps: TeamsHandlerDeps, turn: TeamsTurn, a: InboundActivity, channel: string): Promise<AdoptedApprovalChannel | undefined> {
  try {
    const me = await identify(deps, turn, a);
    if (!me.user.isAdmin) return undefined;
    return await adoptApprovalChannel(deps.engine, { actor: me.actor, platform: 'teams', channel });
  } catch (err) {
    // An installer outside EntryGuard (or its tenant not bound yet) still gets the welcome.
    if (!isAppError(err)) throw err;
    deps.logger.info({ code: err.code }, 'teams: added to a team by someone EntryGuard cannot act for; approval channels unchanged');
    return undefined;
  }
}

function approvalsLine(adopted: AdoptedApprovalChannel | undefined, here: boolean): string {
  const howToMove = 'Admins: say `@EntryGuard approvals here ROLE` in the channel that should approve requests for that role.';
  if (!adopted || (adopted.adopted.length === 0 && adopted.keptElsewhere.length === 0)) return howToMove;
  const where = here ? 'in this channel' : 'in the channel chosen when the app was added';
  const parts: string[] = [];
  if (adopted.adopted.length) parts.push(`Approval requests for ${names(adopted.adopted)} will be posted ${where}.`);
  if (adopted.keptElsewhere.length) parts.push(`${names(adopted.keptElsewhere)} keep${adopted.keptElsewhere.length === 1 ? 's' : ''} the channel already chosen.`);
  return [...parts, howToMove].join(' ');
}

const names = (roles: string[]): string => roles.map((r) => `**${teamsText(r)}**`).join(', ');
