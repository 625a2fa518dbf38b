import * as vscode from 'vscode';

/** A command of the extension: its id as contributed in package.json, and what it does. */
export interface Command {
  readonly id: string;
  execute(...args: unknown[]): unknown;
}

/** Registers every command; the returned disposables unregister them. */
export function registerCommands(commands: readonly Command[]): vscode.Disposable[] {
  return commands.map((command) => vscode.commands.registerCommand(command.id, command.execute, command));
}
