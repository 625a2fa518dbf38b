/** Runs every benchmark suite and prints one table per suite. */
import { runBatchBench } from './batch';
import { runCoreBench } from './core';
import { runPeersBench } from './peers';

runCoreBench();
runPeersBench();
void runBatchBench();
