import { defineConfig } from "vitest/config";

// Every test file removes the temporary folders it made once its own hooks are done.
const TEMP_FOLDERS = "test/support/tempFolders.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          setupFiles: [TEMP_FOLDERS],
          include: ["test/unit/**/*.test.ts"],
          // Pulumi's mocks are process-global: each file gets its own worker.
          isolate: true,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "db",
          setupFiles: [TEMP_FOLDERS],
          include: ["test/db/**/*.test.ts", "test/functions/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          // Each file starts its own PostgreSQL; two cores, one at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          setupFiles: [TEMP_FOLDERS, "test/e2e/setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "tools",
          setupFiles: [TEMP_FOLDERS],
          include: ["test/tools/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Servers bind fixed ports (TURN, RTC); one file at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "engine",
          setupFiles: [TEMP_FOLDERS],
          include: ["test/engine/**/*.test.ts"],
          // The real Pulumi engine and PostgreSQL per file: slow steps, one file at a time.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "net",
          setupFiles: [TEMP_FOLDERS],
          include: ["test/net/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Every file builds the same lab (one set of namespace names): one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
