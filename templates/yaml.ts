// The one place YAML text is produced: fixed options, no line folding.
import { Document } from "yaml";

export interface YamlOptions {
  /** cloud-init reads YAML 1.1 (PyYAML): "yes", "0644" and the like must be quoted. */
  readonly version?: "1.1" | "1.2";
  readonly header?: string;
}

export function toYaml(doc: unknown, options: YamlOptions = {}): string {
  const document = new Document(doc, { version: options.version ?? "1.2", aliasDuplicateObjects: false });
  const body = document.toString({ lineWidth: 0, minContentWidth: 0, directives: false });
  return options.header ? `${options.header}\n${body}` : body;
}

/** Line formats (redis.conf, systemd units): "key value" pairs, joined here only. */
export type Directive = readonly [key: string, ...values: (string | number)[]];

export function directives(lines: readonly Directive[], separator = " "): string {
  return lines.map(([key, ...values]) => [key, ...values.map(String)].join(separator)).join("\n") + "\n";
}
