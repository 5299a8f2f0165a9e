// Renders every file of a LiveKit host from one model.
import { renderCloudInit } from "./cloudInit";
import { type HostFile, renderHostFiles } from "./files";
import type { HostModel } from "./model";

export * from "./model";
export { HOST_FILE_LAYOUT, hostFileLayout, type HostFile, type HostFileLayout, type HostFileName } from "./files";

export interface RenderedHost {
  readonly files: readonly HostFile[];
  readonly cloudInit: string;
}

export function renderHost(model: HostModel): RenderedHost {
  const files = renderHostFiles(model);
  return { files, cloudInit: renderCloudInit() };
}
