/**
 * dist/bin/racker.client.bundle.cjs: `racker` run by a user other than root, for a command
 * that goes to the racker service as typed (cli/via-service.ts; the launcher picks this bundle).
 * Only the client's part is loaded: the error boundary and lib/client/forward.ts, not racker's
 * commands, yargs or its own ~1 MB bundle, which the service's command process loads anyway
 * (doc/performance.md: a third of the member's added time was this client loading racker).
 * Words racker checks itself (the command word, flags) are checked by the command the service
 * runs, with the same message and exit code.
 */
import { guard } from './boundary.js';
import { forwardCommand } from '../lib/client/forward.js';

void guard('racker', 125, () => forwardCommand('racker', process.argv.slice(2)));
