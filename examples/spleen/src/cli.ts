/**
 * `pnpm spleen <command>`: train, validate, predict and report for 3D spleen segmentation on CT.
 * Run with `--help` for the options of each command.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { VoxelkitError } from '@voxelkit/core';
import { startBackend } from './backend.js';
import {
  parseList,
  parseTriple,
  presetConfig,
  resolveConfig,
  type SpleenConfig,
} from './config.js';
import { createCliLogger, type CliLogger } from './console.js';
import { downloadTask09 } from './data.js';
import { predictFile } from './predict.js';
import { buildReport } from './report.js';
import { readJson, runPaths, timestampName } from './runFolder.js';
import { createTfModel } from './tfModel.js';
import { train } from './train.js';
import { validateCheckpoint } from './validate.js';

/** The bundled data set, found relative to this file so any working directory works. */
const BUNDLED_DATA = fileURLToPath(new URL('../../../data/spleen-mini', import.meta.url));

/** pnpm runs scripts inside the package folder; paths the user typed are relative to where they typed them. */
const USER_CWD = process.env.INIT_CWD ?? process.cwd();
const userPath = (p: string) => resolve(USER_CWD, p);

interface CommonFlags {
  quiet?: boolean;
  jsonLog?: boolean;
  verbose?: boolean;
  backend?: 'cpu' | 'native' | 'tfjs-node-gpu';
}

interface TrainFlags extends CommonFlags {
  preset?: string;
  config?: string;
  dataDir?: string;
  download?: boolean;
  out?: string;
  resume?: string;
  force?: boolean;
  seed?: string;
  epochs?: string;
  roi?: string;
  pixdim?: string;
  channels?: string;
  strides?: string;
  resUnits?: string;
  lr?: string;
  weightDecay?: string;
  batchSize?: string;
  numSamples?: string;
  valInterval?: string;
  swBatchSize?: string;
  overlap?: string;
}

const program = new Command()
  .name('spleen')
  .description('3D spleen segmentation on CT (MONAI spleen tutorial on TensorFlow.js)')
  .showHelpAfterError();

const common = (cmd: Command) =>
  cmd
    .option('-q, --quiet', 'only warnings and errors; no progress bars')
    .option('--json-log', 'log one JSON object per line on stdout; no progress bars')
    .option('-v, --verbose', 'also show debug messages')
    .addOption(
      new Option('--backend <name>', 'preferred TensorFlow.js backend').choices([
        'cpu',
        'native',
        'tfjs-node-gpu',
      ]),
    );

common(
  program
    .command('train')
    .description(
      'train a UNet; writes a run folder with config, metrics, checkpoints, figures and report.html',
    )
    .option(
      '-p, --preset <name>',
      'full | quick | cpu | tiny (default: full with a GPU/native backend, else cpu)',
    )
    .option('-c, --config <file>', 'JSON file of settings (see docs/spleen.md); flags override it')
    .option(
      '-d, --data-dir <dir>',
      'Decathlon-layout folder with dataset.json (default: bundled data/spleen-mini)',
    )
    .option('--download', 'download MSD Task09_Spleen (1.5 GB) into ./data and use it')
    .option('-o, --out <dir>', 'run folder (default: runs/<timestamp>)')
    .option('--resume <runDir>', 'continue an interrupted run from its last checkpoint')
    .option('--force', 'train even if the memory estimate exceeds free memory')
    .option('--seed <n>', 'seed of split, initialisation and augmentation (default 0)')
    .option('--epochs <n>', 'number of epochs')
    .option('--roi <size>', 'patch / window size, e.g. 96 or 96,96,64')
    .option('--pixdim <mm>', 'voxel spacing after resampling, e.g. 1.5,1.5,2')
    .option('--channels <list>', 'UNet channels per level, e.g. 16,32,64,128,256')
    .option('--strides <list>', 'UNet strides between levels, e.g. 2,2,2,2')
    .option('--res-units <n>', 'residual units per UNet block')
    .option('--lr <x>', 'AdamW learning rate (cosine-annealed to 0)')
    .option('--weight-decay <x>', 'AdamW decoupled weight decay')
    .option('--batch-size <n>', 'images per step')
    .option('--num-samples <n>', 'patches per image per step')
    .option('--val-interval <n>', 'validate every n epochs')
    .option('--sw-batch-size <n>', 'sliding-window batch size')
    .option('--overlap <x>', 'sliding-window overlap in [0, 1)'),
).action((flags: TrainFlags) => run(flags, () => trainCommand(flags)));

common(
  program
    .command('validate')
    .description('Dice (and HD95, surface Dice) per validation case for a checkpoint')
    .requiredOption('--checkpoint <dir>', 'checkpoint folder (<runDir>/best or <runDir>/last)')
    .option('-d, --data-dir <dir>', 'data folder (default: the one the checkpoint was trained on)')
    .option('--all', 'score every case of the data set, not only the validation split'),
).action((flags: CommonFlags & { checkpoint: string; dataDir?: string; all?: boolean }) =>
  run(flags, async (logger) => {
    const backend = await startBackend(flags.backend, logger);
    void backend;
    await validateCheckpoint({
      checkpoint: userPath(flags.checkpoint),
      dataDir: flags.dataDir ? userPath(flags.dataDir) : undefined,
      all: flags.all === true,
      logger,
      createModel: createTfModel,
    });
  }),
);

common(
  program
    .command('predict')
    .description("segment one CT volume; the mask has the input's shape and affine")
    .requiredOption('--checkpoint <dir>', 'checkpoint folder')
    .requiredOption('-i, --input <file>', 'CT volume (.nii or .nii.gz)')
    .requiredOption('-o, --output <file>', 'mask to write (.nii.gz), uint8 0/1'),
).action((flags: CommonFlags & { checkpoint: string; input: string; output: string }) =>
  run(flags, async (logger) => {
    await startBackend(flags.backend, logger);
    await predictFile({
      checkpoint: userPath(flags.checkpoint),
      input: userPath(flags.input),
      output: userPath(flags.output),
      logger,
      createModel: createTfModel,
    });
  }),
);

common(
  program
    .command('report')
    .description('rebuild loss.png, dice.png, overlay.png and report.html of a run folder')
    .argument('<runDir>', 'run folder'),
).action((runDir: string, flags: CommonFlags) =>
  run(flags, async (logger) => {
    const files = await buildReport(userPath(runDir));
    logger.info(`wrote ${[...files.figures, files.html].join(', ')}`);
  }),
);

async function trainCommand(flags: TrainFlags): Promise<void> {
  const logger = currentLogger!;
  const backend = await startBackend(flags.backend, logger);
  let config: SpleenConfig;
  let runDir: string;
  if (flags.resume) {
    runDir = userPath(flags.resume);
    config = await readJson<SpleenConfig>(runPaths(runDir).config);
    logger.info(`resuming ${runDir} with its saved config.json (other flags are ignored)`);
  } else {
    const presetName = flags.preset ?? (backend.fast ? 'full' : 'cpu');
    const preset = presetConfig(presetName, backend.fast);
    if (presetName === 'quick' && !backend.fast) {
      logger.info(
        'preset quick without a GPU/native backend: 15 epochs of the CPU-sized model (see docs/spleen.md)',
      );
    }
    const fromFile = flags.config
      ? await readJson<Partial<SpleenConfig>>(userPath(flags.config))
      : {};
    let dataDir = flags.dataDir
      ? userPath(flags.dataDir)
      : fromFile.dataDir
        ? userPath(fromFile.dataDir)
        : BUNDLED_DATA;
    if (flags.download) dataDir = await downloadTask09(userPath('data'), logger);
    config = resolveConfig({ ...preset, dataDir }, fromFile, { dataDir }, flagLayer(flags));
    runDir = userPath(flags.out ?? `runs/${timestampName()}`);
    if (existsSync(runPaths(runDir).config)) {
      throw new VoxelkitError(
        'E_ARGUMENT',
        'run folder already holds a run; use --resume to continue it or choose another --out',
        {
          file: runDir,
        },
      );
    }
  }
  logger.info(
    `run folder ${runDir}; preset ${config.preset}, ${config.epochs} epochs, roi ${config.roiSize.join('×')}, seed ${config.seed}`,
  );
  await train({
    config,
    runDir,
    logger,
    createModel: createTfModel,
    resume: Boolean(flags.resume),
    force: flags.force,
  });
}

function flagLayer(flags: TrainFlags): Partial<SpleenConfig> {
  const num = (v: string | undefined, field: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
      throw new VoxelkitError('E_ARGUMENT', 'expected a number', { field, actual: v });
    return n;
  };
  return {
    seed: num(flags.seed, '--seed'),
    epochs: num(flags.epochs, '--epochs'),
    roiSize: flags.roi ? parseTriple(flags.roi, '--roi') : undefined,
    pixdim: flags.pixdim ? parseTriple(flags.pixdim, '--pixdim') : undefined,
    channels: flags.channels ? parseList(flags.channels, '--channels') : undefined,
    strides: flags.strides ? parseList(flags.strides, '--strides') : undefined,
    numResUnits: num(flags.resUnits, '--res-units'),
    lr: num(flags.lr, '--lr'),
    weightDecay: num(flags.weightDecay, '--weight-decay'),
    batchSize: num(flags.batchSize, '--batch-size'),
    numSamples: num(flags.numSamples, '--num-samples'),
    valInterval: num(flags.valInterval, '--val-interval'),
    swBatchSize: num(flags.swBatchSize, '--sw-batch-size'),
    overlap: num(flags.overlap, '--overlap'),
  };
}

let currentLogger: CliLogger | undefined;

/** Runs a command with a logger; typed errors become one readable line and exit code 1. */
async function run(flags: CommonFlags, body: (logger: CliLogger) => Promise<void>): Promise<void> {
  const logger = createCliLogger({
    quiet: flags.quiet,
    jsonLog: flags.jsonLog,
    verbose: flags.verbose,
  });
  currentLogger = logger;
  try {
    await body(logger);
  } catch (error) {
    logger.bars.stop();
    if (error instanceof VoxelkitError) {
      logger.error(error.message, { code: error.code });
      if (flags.verbose && error.stack) process.stderr.write(error.stack + '\n');
    } else {
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exitCode = 1;
  } finally {
    logger.bars.stop();
  }
}

await program.parseAsync(process.argv);
