import type { CommandModule } from 'yargs';
import { imagesCommand } from './images.js';
import { importCommand } from './import.js';
import { loginCommand, logoutCommand } from './login.js';
import { pullCommand } from './pull.js';
import { rmiCommand } from './rmi.js';

// Each command file is thin: flags here, work in lib/ (imported lazily by the handler,
// so `racker --help` loads no operation code).
export const rackerCommands: CommandModule<any, any>[] = [
  pullCommand,
  imagesCommand,
  rmiCommand,
  importCommand,
  loginCommand,
  logoutCommand,
];
