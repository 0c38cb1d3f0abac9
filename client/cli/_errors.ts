// How Pebble's CLI words errors the daemon reports (cli.go's errorToMessage).

import type { APIError } from "../errors.ts";
import { DISPLAY_NAME } from "./_commands.ts";
import { fill, terminalWidth } from "./_format.ts";

const ERROR_PREFIX = "error: ";

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/**
 * The message to print for an API error and whether it is an error at all (a pending
 * system restart is reported without `error: ` and exit status 0).
 */
export function errorToMessage(
  err: Pick<APIError, "kind" | "message">,
  termWidth: number = terminalWidth(),
): { message: string; isError: boolean } {
  let isError = true;
  let msg: string;
  switch (err.kind) {
    case "login-required":
      msg = isRoot() ? err.message : `${err.message} (try with sudo)`;
      break;
    case "system-restart":
      isError = false;
      msg = `${DISPLAY_NAME} is about to reboot the system`;
      break;
    case "no-default-services":
      msg = "no default services";
      break;
    default:
      msg = err.message;
  }
  return { message: fill(msg, ERROR_PREFIX.length, termWidth), isError };
}
