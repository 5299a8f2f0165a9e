// Registered first in every project (vitest.config.mts), so its afterAll runs last, after the file's own hooks have
// stopped the servers that used the folders: the test runner ends its workers without an exit event.
import { afterAll } from "vitest";
import { removeTempFolders } from "../../local/temp";

afterAll(removeTempFolders);
