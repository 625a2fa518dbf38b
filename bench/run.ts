/** Runs every benchmark suite and prints one table per suite. */
import { runCoreBench } from './core';

runCoreBench();
