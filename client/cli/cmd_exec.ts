// `pebble exec`: run a command on the daemon's system with the local stdin, stdout and
// stderr wired to it; the remote exit code becomes this program's.

import { CliError, type Command } from "./_context.ts";
import { parseDuration } from "../../plan/duration.ts";

const DESCRIPTION = `The exec command runs a remote command and waits for it to finish. The local
stdin is sent as the input to the remote process, while the remote stdout and
stderr are output locally.

To avoid confusion, exec options may be separated from the command and its
arguments using "--", for example:

pebble exec --timeout 10s -- echo -n foo bar
`;

/** Signals forwarded to the remote process, as Pebble's CLI forwards them. */
const FORWARDED: Deno.Signal[] = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGABRT",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGUSR1",
  "SIGUSR2",
  "SIGCONT",
];

function optionalInt(text: string, flag: string): number | undefined {
  if (text === "") return undefined;
  if (!/^[+-]?\d+$/.test(text)) {
    throw new CliError(`invalid argument for flag \`--${flag}' (expected int): ${text}`);
  }
  return Number(text);
}

function sameFile(a: string, b: string): boolean {
  try {
    return Deno.readLinkSync(a) === Deno.readLinkSync(b);
  } catch {
    return false;
  }
}

/** The `exec` command. */
export const exec: Command = {
  spec: {
    name: "exec",
    summary: "Execute a remote command and wait for it to finish",
    description: DESCRIPTION,
    passAfterNonOption: true,
    options: [
      {
        long: "w",
        short: "w",
        shortOnly: true,
        kind: "string",
        help: "Working directory to run command in",
      },
      { long: "env", kind: "list", help: "Environment variable to set (in 'FOO=bar' format)" },
      { long: "uid", kind: "string", help: "User ID to run command as" },
      {
        long: "user",
        kind: "string",
        help: "Username to run command as (user's UID must match uid if both present)",
      },
      { long: "gid", kind: "string", help: "Group ID to run command as" },
      {
        long: "group",
        kind: "string",
        help: "Group name to run command as (group's GID must match gid if both present)",
      },
      { long: "timeout", kind: "string", help: "Timeout after which to terminate command" },
      {
        long: "context",
        kind: "string",
        help:
          "Inherit the context of the named service (overridden by -w, --env, --uid/user, --gid/group)",
      },
      {
        long: "t",
        short: "t",
        shortOnly: true,
        help:
          "Allocate remote pseudo-terminal and connect stdout to it (default if stdout is a TTY)",
      },
      { long: "T", short: "T", shortOnly: true, help: "Disable remote pseudo-terminal allocation" },
      {
        long: "i",
        short: "i",
        shortOnly: true,
        help:
          "Interactive mode: connect stdin to the pseudo-terminal (default if stdin and stdout are TTYs)",
      },
      {
        long: "I",
        short: "I",
        shortOnly: true,
        help: "Disable interactive mode and use a pipe for stdin",
      },
    ],
    args: [{ name: "<command>", required: true }],
  },
  async run(ctx, args) {
    if (args.bool("t") && args.bool("T")) {
      throw new CliError("cannot use -t and -T at the same time");
    }
    if (args.bool("i") && args.bool("I")) {
      throw new CliError("cannot use -i and -I at the same time");
    }
    const command = [args.arg("<command>"), ...args.extra];
    let timeout: number | undefined;
    const timeoutText = args.string("timeout");
    if (timeoutText !== "") {
      try {
        timeout = parseDuration(timeoutText) / 1e9;
      } catch (err) {
        throw new CliError(
          `invalid argument for flag \`--timeout' (expected time.Duration): ${
            (err as Error).message
          }`,
        );
      }
    }
    const userId = optionalInt(args.string("uid"), "uid");
    const groupId = optionalInt(args.string("gid"), "gid");

    const environment: Record<string, string> = {};
    const term = ctx.env("TERM");
    if (term !== undefined) environment.TERM = term;
    for (const kv of args.list("env")) {
      const eq = kv.indexOf("=");
      if (eq < 0) environment[kv] = "";
      else environment[kv.slice(0, eq)] = kv.slice(eq + 1);
    }

    const stdoutTty = Deno.stdout.isTerminal();
    const stdinTty = Deno.stdin.isTerminal();
    const terminal = args.bool("t") ? true : args.bool("T") ? false : stdoutTty;
    const interactive = args.bool("i") ? true : args.bool("I") ? false : stdinTty && stdoutTty;

    let width = 0, height = 0;
    if (stdoutTty) {
      try {
        ({ columns: width, rows: height } = Deno.consoleSize());
      } catch { /* no size */ }
    }
    // Both to the same file or terminal: let the daemon combine them, keeping order.
    const combineStderr = sameFile("/proc/self/fd/1", "/proc/self/fd/2");

    const client = await ctx.client();
    const { ChangeError, ExecError } = await import("../errors.ts");
    let raw = false;
    if (terminal && stdinTty) {
      try {
        Deno.stdin.setRaw(true);
        raw = true;
      } catch (err) {
        throw new CliError(`cannot change terminal to raw mode: ${(err as Error).message}`);
      }
    }
    const listeners: [Deno.Signal, () => void][] = [];
    try {
      const proc = await client.exec(command, {
        serviceContext: args.string("context") || undefined,
        environment,
        workingDir: args.string("w") || undefined,
        timeout,
        userId,
        user: args.string("user") || undefined,
        groupId,
        group: args.string("group") || undefined,
        terminal,
        interactive,
        width,
        height,
        encoding: null,
        stdin: stdinChunks(),
        stdout: fdWritable(Deno.stdout),
        stderr: combineStderr ? undefined : fdWritable(Deno.stderr),
        combineStderr,
      });
      let hangup: () => void = () => {};
      const hungUp = new Promise<"hup">((r) => (hangup = () => r("hup")));
      const listen = (sig: Deno.Signal, fn: () => void) => {
        try {
          Deno.addSignalListener(sig, fn);
          listeners.push([sig, fn]);
        } catch { /* this signal cannot be caught here */ }
      };
      for (const sig of FORWARDED) listen(sig, () => proc.sendSignal(sig).catch(() => {}));
      listen("SIGHUP", () => {
        proc.sendSignal("SIGHUP").then(hangup, () => {});
      });
      if (terminal) {
        listen("SIGWINCH", () => {
          try {
            const { columns, rows } = Deno.consoleSize();
            proc.resize(columns, rows).catch(() => {});
          } catch { /* no size */ }
        });
      }
      try {
        const outcome = await Promise.race([proc.wait().then(() => "done" as const), hungUp]);
        if (outcome === "hup") {
          ctx.err("SIGHUP received, exiting\r\n");
          return 0;
        }
        return 0;
      } catch (err) {
        if (err instanceof ExecError) return err.exitCode;
        if (err instanceof ChangeError) throw new CliError(err.err);
        throw err;
      }
    } finally {
      for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
      if (raw) Deno.stdin.setRaw(false);
    }
  },
};

/** The local stdin as chunks; reads are made only as the remote side takes them. */
async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    let n: number | null;
    try {
      n = await Deno.stdin.read(buf);
    } catch {
      return;
    }
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

function fdWritable(fd: { write(p: Uint8Array): Promise<number> }): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let off = 0;
      try {
        while (off < chunk.length) off += await fd.write(chunk.subarray(off));
      } catch (err) {
        if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
      }
    },
  });
}
