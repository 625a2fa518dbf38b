import * as vscode from 'vscode';
import { RedisStateHost } from '../sources/redisStateHost';
import type { WorkspaceStateHosts } from '../sources/workspaceStateHosts';
import type { Command } from './command';

/**
 * The Redis root a command is given: its tree row, `{ host: id }`, or, without one, the one the user picks
 * among the Redis roots.
 */
async function redisHostOf(hosts: WorkspaceStateHosts, argument: unknown): Promise<RedisStateHost | undefined> {
  if (argument !== null && typeof argument === 'object' && 'host' in argument) {
    const given = (argument as { host: unknown }).host;
    const host = given instanceof RedisStateHost ? given : typeof given === 'string' ? hosts.hostFor(given) : undefined;
    if (host instanceof RedisStateHost) return host;
    void vscode.window.showErrorMessage(vscode.l10n.t('No Redis root {0} is open.', typeof given === 'string' ? given : String(given)));
    return undefined;
  }
  await hosts.whenReady();
  const roots = hosts.all.filter((host): host is RedisStateHost => host instanceof RedisStateHost);
  if (roots.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No Redis root is listed in the setting restate.redisRoots.'));
    return undefined;
  }
  if (roots.length === 1) return roots[0];
  const picked = await vscode.window.showQuickPick(roots.map((host) => ({ label: host.label, description: host.address, host })), {
    placeHolder: vscode.l10n.t('Which Redis root?'),
  });
  return picked?.host;
}

/**
 * Asks for a Redis root's password and keeps it in VS Code's secret storage (never in the settings), then
 * connects again with it: `restate.redis.enterPassword(target?, password?)`. Returns whether it kept one.
 */
export class EnterRedisPasswordCommand implements Command {
  readonly id = 'restate.redis.enterPassword';

  constructor(private readonly hosts: WorkspaceStateHosts) {}

  async execute(target?: unknown, password?: unknown): Promise<boolean> {
    const host = await redisHostOf(this.hosts, target);
    if (host === undefined) return false;
    const given = typeof password === 'string' ? password : await vscode.window.showInputBox({
      title: vscode.l10n.t('Password of {0}', host.label),
      prompt: vscode.l10n.t('For {0}. It is kept in VS Code\'s secret storage, not in the settings.', host.address),
      password: true,
      ignoreFocusOut: true,
    });
    if (given === undefined || given === '') return false;
    await this.hosts.setPassword(host, given);
    return true;
  }
}

/** Forgets the password kept for a Redis root and connects again without one: `restate.redis.forgetPassword(target?)`. */
export class ForgetRedisPasswordCommand implements Command {
  readonly id = 'restate.redis.forgetPassword';

  constructor(private readonly hosts: WorkspaceStateHosts) {}

  async execute(target?: unknown): Promise<boolean> {
    const host = await redisHostOf(this.hosts, target);
    if (host === undefined) return false;
    await this.hosts.setPassword(host, undefined);
    void vscode.window.showInformationMessage(vscode.l10n.t('The password of {0} is forgotten.', host.label));
    return true;
  }
}
