// The exporter's password file, as rendered, read by the real redis_exporter
// (Debian's prometheus-redis-exporter) against Redis running the rendered
// redis.conf: the file alone authenticates it (no REDIS_PASSWORD in its
// environment), and a wrong password in it shows as redis_up 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pickLocalPorts, startRedis } from "../../local/livekit";
import { localPasswordFile } from "../../local/monitoring";
import { localCommand } from "../../local/monitoringConfig";
import { freePort, type Running, start, systemTool, waitFor } from "../../local/processes";
import { writeTemp } from "../../local/temp";
import { renderHost } from "../../templates";
import { REDIS_EXPORTER_PASSWORD_FILE } from "../../templates/compose";
import { TEST_SECRETS, testModel } from "../support/fixtures";

const files = Object.fromEntries(renderHost(testModel()).files.map((f) => [f.name, f.content]));
const renderedCommand: string[] = parse(files["docker-compose.yaml"]!).services["redis-exporter"].command;

/** Runs the exporter with the rendered command moved to local ports and the given password file; resolves redis_up. */
async function redisUp(redisPort: number, passwordFile: (target: string) => string) {
  const target = `redis://127.0.0.1:${redisPort}`;
  const listen = `127.0.0.1:${await freePort()}`;
  const args = localCommand("redis-exporter", renderedCommand, {
    "--redis.addr": target,
    "--redis.password-file": writeTemp(REDIS_EXPORTER_PASSWORD_FILE, passwordFile(target)),
    "--web.listen-address": listen,
  });
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("REDIS")));
  const exporter = start(systemTool("prometheus-redis-exporter", "prometheus-redis-exporter"), args, { env });
  try {
    return await waitFor(
      "redis_exporter to report redis_up",
      async () => (await (await fetch(`http://${listen}/metrics`)).text()).match(/^redis_up (\d)$/m)?.[1],
      15_000,
      200,
    );
  } finally {
    await exporter.stop();
  }
}

describe("the rendered redis-exporter-password.json under redis_exporter", () => {
  let redis: Running;
  let redisPort: number;
  beforeAll(async () => {
    const ports = await pickLocalPorts();
    redisPort = ports.redis;
    redis = await startRedis(testModel(), ports);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it("authenticates the exporter to Redis: redis_up 1", async () => {
    expect(await redisUp(redisPort, (target) => localPasswordFile(files[REDIS_EXPORTER_PASSWORD_FILE]!, target))).toBe(
      "1",
    );
  });

  it("is what authenticates it: the same file with another password gives redis_up 0", async () => {
    const wrong = files[REDIS_EXPORTER_PASSWORD_FILE]!.replace(TEST_SECRETS.redisPassword, "not-the-password");
    expect(await redisUp(redisPort, (target) => localPasswordFile(wrong, target))).toBe("0");
  });
});
