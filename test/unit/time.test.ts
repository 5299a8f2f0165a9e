import { describe, expect, it } from "vitest";
import { settlesWithin, sleep, withTimeout } from "../../tour/time";

describe("bounded waits", () => {
  it("passes the answer through when it comes in time", async () => {
    await expect(
      withTimeout(
        1_000,
        "the answer",
        sleep(5).then(() => 42),
      ),
    ).resolves.toBe(42);
  });

  it("rejects naming what it waited for when it does not", async () => {
    await expect(withTimeout(20, "the server", new Promise(() => {}))).rejects.toThrow(
      "the server: nothing within 0.02 s",
    );
  });

  it("passes a rejection through unchanged", async () => {
    await expect(withTimeout(1_000, "x", Promise.reject(new Error("refused")))).rejects.toThrow("refused");
  });

  it("tells whether a promise settled in time, either way", async () => {
    expect(await settlesWithin(1_000, Promise.resolve())).toBe(true);
    expect(await settlesWithin(1_000, Promise.reject(new Error("no")))).toBe(true);
    expect(await settlesWithin(20, new Promise(() => {}))).toBe(false);
  });
});
