/** Runs every benchmark suite, one after the other, and prints one table per suite. */
import { runBatchBench } from './batch';
import { runCoreBench } from './core';
import { runInspectBench } from './inspect';
import { benchFs, formatFsBench } from './fs';
import { runPeersBench } from './peers';
import { runSandboxBench } from './sandbox';

async function main(): Promise<void> {
  runCoreBench();
  console.log('\nfilesystem backends against bare node:fs (best of 3 rounds, by CPU time)\n');
  console.log(formatFsBench(await benchFs()));
  await runBatchBench();
  await runSandboxBench();
  await runInspectBench();
  runPeersBench();
}

void main();
