// The table of commands: names, one-line summaries (for `pebble help --all`), help
// categories, and a loader per implemented command so that only the module of the
// command being run is imported.

import type { Command } from "./_context.ts";

/** One entry of the command table. */
export interface CommandEntry {
  summary: string;
  /** Loads the command's module; absent for commands not implemented yet. */
  load?: () => Promise<Command>;
}

/** Every command Pebble has, in no particular order; see {@linkcode HELP_CATEGORIES}. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: "Run the service manager environment",
    load: async () => (await import("./cmd_run.ts")).run,
  },
  help: {
    summary: "Show help about a command",
    load: async () => (await import("./cmd_help.ts")).help,
  },
  version: {
    summary: "Show version details",
    load: async () => (await import("./cmd_version.ts")).version,
  },
  add: {
    summary: "Dynamically add a layer to the plan's layers",
    load: async () => (await import("./cmd_add.ts")).add,
  },
  plan: {
    summary: "Show the plan with layers combined",
    load: async () => (await import("./cmd_plan.ts")).plan,
  },
  replan: {
    summary: "Ensure running services and checks match the current plan",
    load: async () => (await import("./cmd_service_actions.ts")).replan,
  },
  services: {
    summary: "Query the status of configured services",
    load: async () => (await import("./cmd_services.ts")).services,
  },
  logs: {
    summary: "Fetch service logs",
    load: async () => (await import("./cmd_logs.ts")).logs,
  },
  start: {
    summary: "Start a service and its dependencies",
    load: async () => (await import("./cmd_service_actions.ts")).start,
  },
  restart: {
    summary: "Restart a service",
    load: async () => (await import("./cmd_service_actions.ts")).restart,
  },
  signal: {
    summary: "Send a signal to one or more running services",
    load: async () => (await import("./cmd_signal.ts")).signal,
  },
  stop: {
    summary: "Stop a service and its dependents",
    load: async () => (await import("./cmd_service_actions.ts")).stop,
  },
  autostart: {
    summary: "Start services set to start by default",
    load: async () => (await import("./cmd_service_actions.ts")).autostart,
  },
  checks: {
    summary: "Query the status of configured health checks",
    load: async () => (await import("./cmd_checks.ts")).checks,
  },
  check: {
    summary: "Query the details of a configured health check",
    load: async () => (await import("./cmd_check.ts")).check,
  },
  "start-checks": {
    summary: "Start one or more checks",
    load: async () => (await import("./cmd_start_checks.ts")).startChecks,
  },
  "stop-checks": {
    summary: "Stop one or more checks",
    load: async () => (await import("./cmd_start_checks.ts")).stopChecks,
  },
  health: {
    summary: "Query health of checks",
    load: async () => (await import("./cmd_health.ts")).health,
  },
  push: {
    summary: "Transfer a file to the remote system",
    load: async () => (await import("./cmd_push.ts")).push,
  },
  pull: {
    summary: "Retrieve a file from the remote system",
    load: async () => (await import("./cmd_pull.ts")).pull,
  },
  ls: {
    summary: "List path contents",
    load: async () => (await import("./cmd_ls.ts")).ls,
  },
  mkdir: {
    summary: "Create a directory",
    load: async () => (await import("./cmd_mkdir.ts")).mkdir,
  },
  rm: {
    summary: "Remove a file or directory",
    load: async () => (await import("./cmd_rm.ts")).rm,
  },
  exec: {
    summary: "Execute a remote command and wait for it to finish",
    load: async () => (await import("./cmd_exec.ts")).exec,
  },
  changes: {
    summary: "List system changes",
    load: async () => (await import("./cmd_changes.ts")).changes,
  },
  tasks: {
    summary: "List a change's tasks",
    load: async () => (await import("./cmd_changes.ts")).tasks,
  },
  warnings: {
    summary: "List warnings",
    load: async () => (await import("./cmd_warnings.ts")).warnings,
  },
  okay: {
    summary: "Acknowledge notices and warnings",
    load: async () => (await import("./cmd_okay.ts")).okay,
  },
  notices: {
    summary: "List notices",
    load: async () => (await import("./cmd_notices.ts")).notices,
  },
  notice: {
    summary: "Fetch a single notice",
    load: async () => (await import("./cmd_notice.ts")).notice,
  },
  notify: {
    summary: "Record a custom notice",
    load: async () => (await import("./cmd_notify.ts")).notify,
  },
  identities: {
    summary: "List identities",
    load: async () => (await import("./cmd_identities.ts")).identities,
  },
  identity: {
    summary: "Show a single identity",
    load: async () => (await import("./cmd_identities.ts")).identity,
  },
  "add-identities": {
    summary: "Add new identities",
    load: async () => (await import("./cmd_identities.ts")).addIdentities,
  },
  "update-identities": {
    summary: "Update or replace identities",
    load: async () => (await import("./cmd_identities.ts")).updateIdentities,
  },
  "remove-identities": {
    summary: "Remove identities",
    load: async () => (await import("./cmd_identities.ts")).removeIdentities,
  },
  enter: {
    summary: "Run subcommand under a container environment",
    load: async () => (await import("./cmd_enter.ts")).enter,
  },
};

/** Commands that exist but are left out of the help listings, as in Pebble. */
export const HIDDEN_COMMANDS: ReadonlySet<string> = new Set(["enter", "autostart"]);

/** A group of commands in `pebble help`. */
export interface HelpCategory {
  label: string;
  description: string;
  commands: string[];
}

/** The groups `pebble help` shows, in Pebble's order. */
export const HELP_CATEGORIES: readonly HelpCategory[] = [
  { label: "Run", description: "run the service manager", commands: ["run"] },
  { label: "Info", description: "help and version information", commands: ["help", "version"] },
  {
    label: "Plan",
    description: "view and change configuration",
    commands: ["add", "plan", "replan"],
  },
  {
    label: "Services",
    description: "manage services",
    commands: ["services", "logs", "start", "restart", "signal", "stop"],
  },
  {
    label: "Checks",
    description: "manage health checks",
    commands: ["checks", "check", "start-checks", "stop-checks", "health"],
  },
  {
    label: "Files",
    description: "work with files and execute commands",
    commands: ["push", "pull", "ls", "mkdir", "rm", "exec"],
  },
  {
    label: "Changes",
    description: "manage changes and their tasks",
    commands: ["changes", "tasks"],
  },
  {
    label: "Notices",
    description: "manage notices and warnings",
    commands: ["warnings", "okay", "notices", "notice", "notify"],
  },
  {
    label: "Identities",
    description: "manage user identities",
    commands: [
      "identities",
      "identity",
      "add-identities",
      "update-identities",
      "remove-identities",
    ],
  },
];

/** The program's name in messages. */
export const PROGRAM_NAME = "pebble";
/** The product name in help texts. */
export const DISPLAY_NAME = "Pebble";
/** The default Pebble directory. */
export const DEFAULT_DIR = "/var/lib/pebble/default";
