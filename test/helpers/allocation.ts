/**
 * Young-generation growth of a piece of code once warm — the allocation counter of the
 * "nothing allocated in the hot path" tests. new_space's used size is exact to the byte
 * (heapUsed is not). Optimising compiles run concurrently, so one measurement can still
 * catch unoptimised code: real allocation shows in every attempt, a pending compile only
 * in the first ones. Attempts repeat (up to five) while above `slack`; the least counts.
 * A negative reading means a collection ran mid-run, and is retried.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const newSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

export async function youngGrowth(run: () => void, slack: number): Promise<number> {
  for (let k = 0; k < 20; k++) run();
  let least = Infinity;
  for (let attempt = 0; attempt < 5 && least > slack; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 5)); // let compiles finish and install
    run();
    gc();
    const before = newSpaceUsed();
    run();
    const grown = newSpaceUsed() - before;
    if (grown >= 0) least = Math.min(least, grown);
  }
  return least;
}
