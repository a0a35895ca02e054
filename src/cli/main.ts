#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/load-config';
import { readPackageVersion } from './package-version';
import { registerBenchCommand } from './bench';
import { registerEvalCommands } from './eval';

/**
 * The `cxr` command. Subcommands load their modules lazily: `serve` must start OpenTelemetry
 * before @grpc/grpc-js is first required, so nothing here imports the server at top level.
 */
const program = new Command()
  .name('cxr')
  .description('Fine-tune, evaluate and serve Vision Transformer classifiers for chest radiographs')
  .version(readPackageVersion());

program
  .command('serve')
  .description('run the gRPC server (cxr.v1 + KServe v2), health, reflection and metrics')
  .option('-c, --config <file>', 'YAML or JSON configuration file (else CXR_CONFIG; env vars override it)')
  .action(async (opts: { config?: string }) => {
    // Tracing first: the gRPC instrumentation must patch @grpc/grpc-js before anything loads it.
    (require('../observability/tracing') as typeof import('../observability/tracing')).startTracing();
    const { serveMain } = require('./serve') as typeof import('./serve');
    await serveMain(opts.config);
  });

program
  .command('import')
  .description('import pre-trained weights into a running server as a new model version')
  .requiredOption('--name <name>', 'model name')
  .option('--path <file>', 'checkpoint under the server import root (safetensors, .pth, .onnx)')
  .option('--hf <repo>', 'download from a model hub repo, e.g. facebook/dinov2-base')
  .option('--revision <rev>', 'hub revision (default main)')
  .option('--file <name>', 'file within the hub repo (default model.safetensors)')
  .requiredOption('--init <kind>', 'dinov2 | imagenet21k | mimic-cxr | random | onnx')
  .requiredOption('--labels <list>', 'comma-separated finding labels of the head')
  .option('--preprocessing <preset>', 'study-2024 (default) | imagenet | xrv')
  .option('--image-size <px>', 'input size (default 224)')
  .option('--architecture <preset>', 'ViT preset (default: read from the checkpoint)')
  .option('--keep-head', "keep the checkpoint's head (aligned label set)")
  .option('--pooling <cls|mean>', 'head pooling')
  .option('--interpolation <conv>', 'position-embedding convention: dinov2-hub | hf | timm')
  .option('--serve', 'promote the new version to serving')
  .option('--seed <n>', 'seed of a new head')
  .option('--server <host:port>', 'server address', 'localhost:50051')
  .action(async (opts) => {
    const { importCommand } = require('./import') as typeof import('./import');
    process.exitCode = await importCommand(opts);
  });

registerBenchCommand(program);
registerEvalCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`cxr: bad configuration: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`cxr: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
