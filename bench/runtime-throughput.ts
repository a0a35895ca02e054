// Inference runtime benchmark (issue 5): the `cxr bench` harness with the defaults of the
// issue's targets (ViT-S/16 at 224 px, in-process engine unless --address is given).
// Usage: node --import tsx bench/runtime-throughput.ts [--duration 8] [--concurrency 1,4,16]
//        [--target cxr|kserve --address host:port --model NAME] [--json out.json]
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/bench';

const program = new Command().name('runtime-throughput');
registerBenchCommand(program);
program.parseAsync(['node', 'runtime-throughput', 'bench', ...process.argv.slice(2)]).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
