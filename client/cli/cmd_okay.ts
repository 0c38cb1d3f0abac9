// `pebble okay`: acknowledge the notices and warnings listed so far (client-side state).

import { PROGRAM_NAME } from "./_commands.ts";
import { CliError, type Command, extraArgsError, isZeroTime } from "./_context.ts";

/** The `okay` command. */
export const okay: Command = {
  spec: {
    name: "okay",
    summary: "Acknowledge notices and warnings",
    description: `The okay command acknowledges warnings and notices that have been previously
listed using '${PROGRAM_NAME} warnings' or '${PROGRAM_NAME} notices', so that they are omitted
from future runs of either command. When a notice or warning is repeated, it
will again show up until the next '${PROGRAM_NAME} okay'.`,
    options: [{ long: "warnings", help: "Only acknowledge warnings, not other notices" }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const onlyWarnings = args.bool("warnings");
    const state = await ctx.loadCliState();
    let okayedWarnings = false;
    if (!isZeroTime(state.warningsLastListed)) {
      okayedWarnings = true;
      state.warningsLastOkayed = state.warningsLastListed;
    }
    let okayedNotices = false;
    if (!onlyWarnings && !isZeroTime(state.noticesLastListed)) {
      okayedNotices = true;
      state.noticesLastOkayed = state.noticesLastListed;
    }
    await ctx.saveCliState(state);
    if (onlyWarnings && !okayedWarnings) {
      throw new CliError(`no warnings have been listed; try '${PROGRAM_NAME} warnings'`);
    }
    if (!onlyWarnings && !okayedNotices && !okayedWarnings) {
      throw new CliError(
        `no notices or warnings have been listed; try '${PROGRAM_NAME} notices' or '${PROGRAM_NAME} warnings'`,
      );
    }
  },
};
