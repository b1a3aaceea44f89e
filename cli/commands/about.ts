/** racker version and racker info: docker's Client/Server reports, or a Go template of them. */
import type { CommandModule } from 'yargs';
import { version } from '../version.js';
import { contextFor, out, type GlobalArgs } from '../common.js';

type Args = GlobalArgs & { format?: string };
const format = { alias: 'f', type: 'string', describe: "A Go template: '{{.Server.Version}}', '{{json .}}'" } as const;

async function render(args: Args, report: object, text: (r: any) => string): Promise<void> {
  if (args.format === undefined) return out(text(report));
  const { renderTemplate } = await import('../../lib/format/template.js');
  out(renderTemplate(args.format, report as any));
}

export const versionCommand: CommandModule<object, Args> = {
  command: 'version',
  describe: 'Show the racker version information (client and server, which are one program)',
  builder: (y) => y.option('format', format),
  handler: async (args) => {
    const { versionReport, versionText } = await import('../../lib/system/report.js');
    await render(args, versionReport(version), versionText);
  },
};

export const infoCommand: CommandModule<object, Args> = {
  command: 'info',
  describe: 'Display system-wide information',
  builder: (y) => y.option('format', { ...format, describe: "A Go template: '{{.ServerVersion}}', '{{json .}}'" }),
  handler: async (args) => {
    const ctx = contextFor(args);
    const { infoReport, infoText } = await import('../../lib/system/report.js');
    await render(args, await infoReport(ctx, version), infoText);
  },
};
