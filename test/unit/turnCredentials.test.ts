// The test's port of jxskiss/base62 round-trips every input, and the TURN
// credentials carry the key, participant and expiry LiveKit parses back.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base62Decode, base62Encode, turnCredentials } from "../support/turnCredentials";

describe("base62 (jxskiss/base62's encoding)", () => {
  it("decodes what it encodes, for any bytes (zeros and 0xff runs included)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = base62Encode(bytes);
        expect(text).toMatch(/^[A-Za-z0-9]*$/);
        expect(Buffer.from(base62Decode(text))).toEqual(Buffer.from(bytes));
      }),
    );
    for (const n of [1, 2, 31, 32, 64]) {
      for (const fill of [0, 0xff])
        expect(base62Decode(base62Encode(new Uint8Array(n).fill(fill)))).toEqual(new Uint8Array(n).fill(fill));
    }
  });
});

describe("TURN credentials", () => {
  it("the username is key|participant|expiry, the password depends on the secret", () => {
    const a = turnCredentials("APIkey", "secret-a", "PA_probe", 1_800_000_000);
    expect(Buffer.from(base62Decode(a.username)).toString()).toBe("APIkey|PA_probe|1800000000");
    expect(turnCredentials("APIkey", "secret-b", "PA_probe", 1_800_000_000).password).not.toBe(a.password);
    expect(Buffer.from(base62Decode(a.password))).toHaveLength(32);
  });
});
