import type { CommandModule } from 'yargs';
import { PASS_THROUGH, type ValueOptions } from '../trailing.js';
import { infoCommand, versionCommand } from './about.js';
import { attachCommand } from './attach.js';
import { buildCommand } from './build.js';
import { composeCommand } from './compose.js';
import { cpCommand, cpLocalCommand } from './cp.js';
import { createCommand, createValueOptions } from './create.js';
import { diffCommand } from './diff.js';
import { eventsCommand } from './events.js';
import { execCommand, execValueOptions } from './exec.js';
import { commitCommand } from './commit.js';
import { exportCommand } from './export.js';
import { historyCommand } from './history.js';
import { imageCommand } from './image.js';
import { imagesCommand } from './images.js';
import { importCommand } from './import.js';
import { inspectCommand, killCommand, restartCommand, rmCommand, startCommand, stopCommand, waitCommand } from './lifecycle.js';
import { loginCommand, logoutCommand } from './login.js';
import { loadCommand } from './load.js';
import { logsCommand } from './logs.js';
import { renameCommand, tagCommand } from './names.js';
import { networkCommand } from './network.js';
import { poolCommand, poolRefillCommand } from './pool.js';
import { portCommand } from './port.js';
import { psCommand } from './ps.js';
import { pullCommand } from './pull.js';
import { rmiCommand } from './rmi.js';
import { runCommand, runValueOptions, superviseCommand } from './run.js';
import { saveCommand } from './save.js';
import { shellCommand, shellValueOptions } from './shell.js';
import { systemCommand } from './system.js';
import { topCommand } from './top.js';
import { pauseCommand, unpauseCommand } from './pause.js';
import { statsCommand } from './stats.js';
import { updateCommand } from './update.js';
import { volumeCommand } from './volume.js';

// Each command file is thin: flags here, work in lib/ (imported lazily by the handler,
// so `racker --help` loads no operation code).
export const rackerCommands: CommandModule<any, any>[] = [
  runCommand,
  createCommand,
  execCommand,
  attachCommand,
  psCommand,
  logsCommand,
  startCommand,
  stopCommand,
  restartCommand,
  killCommand,
  rmCommand,
  renameCommand,
  waitCommand,
  inspectCommand,
  portCommand,
  networkCommand,
  volumeCommand,
  composeCommand,
  topCommand,
  cpCommand,
  diffCommand,
  exportCommand,
  pauseCommand,
  unpauseCommand,
  statsCommand,
  updateCommand,
  pullCommand,
  imagesCommand,
  rmiCommand,
  tagCommand,
  importCommand,
  buildCommand,
  saveCommand,
  loadCommand,
  historyCommand,
  commitCommand,
  imageCommand,
  loginCommand,
  logoutCommand,
  shellCommand,
  versionCommand,
  infoCommand,
  eventsCommand,
  systemCommand,
  poolCommand,
  superviseCommand,
  poolRefillCommand,
  cpLocalCommand,
];

/** Commands whose arguments after the first positional belong to a command inside. */
export const trailingCommands: Record<string, ValueOptions> = { compose: PASS_THROUGH, top: PASS_THROUGH, run: runValueOptions, create: createValueOptions, exec: execValueOptions, shell: shellValueOptions };
