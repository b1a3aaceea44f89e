#!/usr/bin/env -S node --
/**
 * racker: docker's verbs over systemd-nspawn machines. The whole program: every command, for
 * help, completion and what no command's own bundle runs (cli/bundle-choice.ts).
 *
 * `node --` in the line above: Node 20 takes a `--env-file` anywhere in its argv as its own
 * (nodejs/node#54232), so `racker run --env-file missing.env` ended in "node: missing.env: not
 * found", exit 9, before racker ran. Node stops looking at `--` (nodejs/node#54237).
 */
import { rackerCommands, trailingCommands } from './commands/index.js';
import { startRacker } from './racker-program.js';

startRacker(rackerCommands, trailingCommands, true);
