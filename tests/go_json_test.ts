// Request bodies read as Go's json.Decoder reads them: the first value, and Go's words for
// a body that is not JSON (the expected texts are what Go 1.2x's decoder gives).

import assert from "node:assert/strict";
import { decodeFirstValue } from "../server/go_json.ts";
import { rawRequest, withDaemonAndDir } from "./_helpers.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0)); // one byte a char
const errorOf = (b: Uint8Array) => {
  try {
    decodeFirstValue(b);
    return "OK";
  } catch (e) {
    return (e as Error).message;
  }
};

Deno.test("go json: Go's syntax errors, byte for byte", () => {
  const cases: [string, string][] = [
    ["", "EOF"],
    ["   \n", "EOF"],
    ["{", "unexpected EOF"],
    ["{bad", "invalid character 'b' looking for beginning of object key string"],
    ['{"a"', "unexpected EOF"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
    ['{"a":}', "invalid character '}' looking for beginning of value"],
    ["[1 2]", "invalid character '2' after array element"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ["[,1]", "invalid character ',' looking for beginning of value"],
    ["{,}", "invalid character ',' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['"abc', "unexpected EOF"],
    ['"a\x01b"', "invalid character '\\x01' in string literal"],
    ['"\\q"', "invalid character 'q' in string escape code"],
    ['"\\u12"', `invalid character '"' in \\u hexadecimal character escape`],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ["-", "unexpected EOF"],
    ["-a", "invalid character 'a' in numeric literal"],
    ["1.", "unexpected EOF"],
    ["1.x", "invalid character 'x' after decimal point in numeric literal"],
    ["1e+", "unexpected EOF"],
    ["1ex", "invalid character 'x' in exponent of numeric literal"],
    ["tru", "unexpected EOF"],
    ["trux", "invalid character 'x' in literal true (expecting 'e')"],
    ["fals0", "invalid character '0' in literal false (expecting 'e')"],
    ["nulx", "invalid character 'x' in literal null (expecting 'l')"],
    ["nx", "invalid character 'x' in literal null (expecting 'u')"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ['{"a":[1,{"b":tru}]}', "invalid character '}' in literal true (expecting 'e')"],
    ["\xc3\xa9", "invalid character 'Ã' looking for beginning of value"],
    ['{"a":\x7f}', "invalid character '\\x7f' looking for beginning of value"],
    ["\\", "invalid character '\\\\' looking for beginning of value"],
    ['{"a":\t@}', "invalid character '@' looking for beginning of value"],
    ["[\xa0]", "invalid character '\\u00a0' looking for beginning of value"],
    ["[\x80]", "invalid character '\\u0080' looking for beginning of value"],
    ["[".repeat(10001), "invalid character '[' exceeded max depth"],
  ];
  for (const [input, want] of cases) assert.equal(errorOf(bytes(input)), want, input);
});

Deno.test("go json: the first value is decoded, what follows it ignored", () => {
  const cases: [string, unknown][] = [
    ['{"a":1} trailing', { a: 1 }],
    ["123abc", 123],
    ["01", 0],
    ["[1] [2]", [1]],
    ['  {"a":[1,{"b":"x\\u00e9"}],"c":null,"d":-0.5e-3}  ', {
      a: [1, { b: "xé" }],
      c: null,
      d: -0.5e-3,
    }],
    ['"ok"', "ok"],
    ["[ ]", []],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(decodeFirstValue(new TextEncoder().encode(input)), want, input);
  }
});

const message = (r: { json: Record<string, unknown> }) =>
  (r.json.result as { message?: string } | undefined)?.message;

Deno.test("go json: API bodies and upload metadata are refused with Go's words", async () => {
  await withDaemonAndDir(async (d, dir) => {
    let r = await rawRequest(d.socket, "POST", "/v1/services", '{"action":"start",');
    assert.equal(r.status, 400);
    assert.equal(message(r), "cannot decode data from request body: unexpected EOF");
    r = await rawRequest(d.socket, "POST", "/v1/files", "{bad", {
      "Content-Type": "application/json",
    });
    assert.equal(
      message(r),
      "cannot decode request body: invalid character 'b' looking for beginning of object key string",
    );
    // What follows the first value is not read, as with Pebble.
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      `{"action":"make-dirs","dirs":[{"path":"${dir}/made"}]} and more`,
      { "Content-Type": "application/json" },
    );
    assert.equal(r.status, 200, r.text);
    assert.ok((await Deno.stat(`${dir}/made`)).isDirectory);
    const B = "0123456789abcdef0123456789abcdef";
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      `--${B}\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"action":}\r\n--${B}--\r\n`,
      { "Content-Type": `multipart/form-data; boundary=${B}` },
    );
    assert.equal(
      message(r),
      "cannot decode request metadata: invalid character '}' looking for beginning of value",
    );
  });
});
