/** The version of this pebble, reported by `pebble version` and `/v1/system-info`. */
export const VERSION = "0.1.0";
