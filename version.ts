/**
 * The version of this pebble, in Pebble's `v1.2.3` form: reported by `pebble version`
 * and `/v1/system-info`. Keep in step with "version" in deno.json.
 *
 * @module
 */

/** The version string. */
export const VERSION = "v0.1.0";
