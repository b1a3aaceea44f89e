/** A writer process for the events unit test: 500 events into argv[2], rotating past argv[4] bytes. */
import { appendEvent, eventLine, eventMessage, nowNano } from '../../lib/events/log.js';

const [file, writer, max] = process.argv.slice(2);
for (let n = 0; n < 500; n++) {
  const labels = { writer: writer!, n: String(n), padding: 'x'.repeat(200 + n) };
  appendEvent(file!, eventLine(eventMessage({ type: 'container', action: 'start', container: { id: writer!.repeat(64), name: `w${writer}`, config: { imageName: 'busybox' } } }, nowNano(), labels)), Number(max));
}
