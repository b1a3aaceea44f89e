import type { CommandModule } from 'yargs';

// Each command file is thin: flags here, work in lib/ (imported lazily by the handler).
export const rackerCommands: CommandModule<any, any>[] = [];
