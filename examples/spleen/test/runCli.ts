/**
 * Test helper: runs the spleen CLI as a user runs it (a child process through tsx) and collects
 * its exit code and output. Asynchronous on purpose: a blocking spawnSync would starve vitest's
 * worker RPC for the minute a training run takes.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The example's folder (the CLI's working directory). */
export const exampleDir = resolve(__dirname, '..');
/** The bundled data set. */
export const bundledDataDir = resolve(exampleDir, '../../data/spleen-mini');
/** The program and leading arguments that start the CLI from source (run in {@link exampleDir}). */
export const cliCommand = {
  file: resolve(exampleDir, 'node_modules/.bin/tsx'),
  args: [
    '--tsconfig',
    'tsconfig.cli.json',
    '--import',
    './scripts/tfjs-esm-resolve.mjs',
    'src/cli.ts',
  ],
};

/** Exit code and combined stdout + stderr of one CLI run. */
export interface CliResult {
  code: number | null;
  output: string;
}

/**
 * Runs `spleen <args>` with `cwd` as the user's folder (`INIT_CWD`) and extra environment
 * variables; resolves when the process exits, whatever its exit code.
 */
export function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(cliCommand.file, [...cliCommand.args, ...args], {
      cwd: exampleDir,
      env: { ...process.env, INIT_CWD: cwd, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, output }));
  });
}
