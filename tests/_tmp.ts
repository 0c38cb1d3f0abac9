/**
 * Temporary directories for tests, removed when the test module's worker ends (so a
 * suite run leaves nothing behind in /tmp). Use {@link tempDir} instead of
 * `Deno.makeTempDir`.
 *
 * @module
 */

const made: string[] = [];

/** Makes a temporary directory that is removed when the tests of this module end. */
export async function tempDir(options?: Deno.MakeTempOptions): Promise<string> {
  const dir = await Deno.makeTempDir(options);
  made.push(dir);
  return dir;
}

globalThis.addEventListener("unload", () => {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already removed by the test, or held by a process that is going away.
    }
  }
});
