import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** `cxr serve` as a child process on its own data directory, on a free loopback port. */
export async function serveProcess(dataDir: string, env: Record<string, string> = {}): Promise<{ proc: ChildProcess; address: string; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve'], {
    env: {
      ...process.env, CXR_DATA_DIR: dataDir, CXR_GRPC_HOST: '127.0.0.1', CXR_GRPC_PORT: '0', CXR_METRICS_ENABLED: 'false',
      CXR_BOOTSTRAP_DEMO_MODEL: 'false', CXR_EXECUTION_PROVIDER: 'cpu', CXR_RUNTIME_WORKERS: '1', CXR_TRAINING_INTRA_OP_THREADS: '1', CXR_DECODE_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = buf.match(/"port":(\d+)[^\n]*cxr-vit serving/);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`server exited early (${code})`)));
  });
  return { proc, address: `127.0.0.1:${port}`, exited };
}
