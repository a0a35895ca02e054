#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/load-config';
import { readPackageVersion } from './package-version';

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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { serveMain } = require('./serve') as typeof import('./serve');
    await serveMain(opts.config);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`cxr: bad configuration: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`cxr: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
