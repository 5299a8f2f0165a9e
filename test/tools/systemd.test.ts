// livekit-docker.service checked by systemd-analyze verify, in a root folder
// that has systemd's own units, a docker.service and an executable docker.
import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderHost } from "../../templates";
import { run, systemTool } from "../../local/processes";
import { testModel } from "../support/fixtures";
import { tempDir } from "../../local/temp";

const unit = renderHost(testModel()).files.find((f) => f.name === "livekit-docker.service")!;

function verify(content: string): { status: number | null; output: string } {
  const root = tempDir();
  cpSync("/lib/systemd/system", join(root, "lib/systemd/system"), { recursive: true });
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  mkdirSync(join(root, "opt/livekit"), { recursive: true });
  writeFileSync(join(root, "usr/bin/docker"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(root, "usr/bin/docker"), 0o755);
  writeFileSync(
    join(root, "etc/systemd/system/docker.service"),
    "[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/docker\n",
  );
  const path = join(root, unit.path);
  writeFileSync(path, content);
  const result = run(systemTool("systemd-analyze", "systemd"), ["verify", `--root=${root}`, path]);
  return { status: result.status, output: (result.stdout + result.stderr).trim() };
}

describe("livekit-docker.service under systemd-analyze verify", () => {
  it("verifies with no warning at all", () => {
    // systemd-analyze exits 0 on unknown keys and only prints: any output fails.
    expect(verify(unit.content)).toEqual({ status: 0, output: "" });
  });

  it("reports a misspelt key, so the check above can fail", () => {
    const result = verify(unit.content.replace("WorkingDirectory=", "WorkingDirectry="));
    expect(result.output).toMatch(/WorkingDirectry/);
  });
});
