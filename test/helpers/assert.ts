/** The message of the error `fn` throws; fails the test if it throws nothing. */
export function throwsMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}
