// What a running Prometheus says about itself, through its HTTP API: its
// targets, its rules, the metric names it holds, and the metric names a PromQL
// expression uses — read from Prometheus' own parser (GET /api/v1/parse_query
// returns the expression's syntax tree), so a name is never guessed by regex.

export interface ScrapeTarget {
  readonly job: string;
  readonly scrapeUrl: string;
  readonly health: "up" | "down" | "unknown";
  readonly lastError: string;
}

export interface LoadedRule {
  readonly group: string;
  readonly name: string;
  readonly query: string;
  readonly health: "ok" | "err" | "unknown";
  readonly lastError?: string;
}

/** A rule's expression and the metric names it reads. */
export interface RuleMetrics {
  readonly rule: string;
  readonly names: readonly string[];
}

async function apiGet<T>(base: string, path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(`/api/v1/${path}`, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`Prometheus ${path}: ${res.status} ${body.error ?? ""}`);
  return body.data;
}

export function prometheusApi(base: string) {
  return {
    async targets(): Promise<ScrapeTarget[]> {
      const data = await apiGet<{ activeTargets: any[] }>(base, "targets", { state: "active" });
      return data.activeTargets.map((t) => ({
        job: t.labels?.job ?? t.discoveredLabels?.job,
        scrapeUrl: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
      }));
    },
    async rules(): Promise<LoadedRule[]> {
      const data = await apiGet<{ groups: { name: string; rules: any[] }[] }>(base, "rules");
      return data.groups.flatMap((g) =>
        g.rules.map((r) => ({ group: g.name, name: r.name, query: r.query, health: r.health, lastError: r.lastError })),
      );
    },
    /** Every metric name Prometheus holds a series of (scraped, or recorded by a rule). */
    async metricNames(): Promise<Set<string>> {
      return new Set(await apiGet<string[]>(base, "label/__name__/values"));
    },
    /** The metric names an expression selects, from Prometheus' parser. */
    async namesIn(expr: string): Promise<string[]> {
      return metricNamesInAst(await apiGet<unknown>(base, "parse_query", { query: expr }));
    },
    /** An instant query's samples: labels and value. */
    async query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
      const data = await apiGet<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        base,
        "query",
        { query: expr },
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}

/**
 * Walks parse_query's tree (web/api/v1/translate_ast.go in v0.316.0): every
 * vector and matrix selector carries its metric name, either as `name` or as
 * an equality matcher on `__name__`. A selector that picks names by regex
 * cannot be checked against a scrape; it is an error, not a silent pass.
 */
export function metricNamesInAst(ast: unknown): string[] {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (n.type === "vectorSelector" || n.type === "matrixSelector") {
      if (typeof n.name === "string" && n.name) names.add(n.name);
      for (const m of (n.matchers ?? []) as { name: string; value: string; type: string }[]) {
        if (m.name !== "__name__") continue;
        if (m.type !== "=")
          throw new Error(`a selector picks metric names by ${m.type} "${m.value}": name them exactly`);
        names.add(m.value);
      }
    }
    for (const [key, value] of Object.entries(n)) if (key !== "matchers") visit(value);
  };
  visit(ast);
  return [...names].sort();
}

/** Each rule's metric names, read by Prometheus' own parser. */
export async function ruleMetrics(
  api: Pick<ReturnType<typeof prometheusApi>, "namesIn">,
  rules: readonly { name: string; query: string }[],
): Promise<RuleMetrics[]> {
  return Promise.all(rules.map(async (r) => ({ rule: r.name, names: await api.namesIn(r.query) })));
}

/** The rules' metric names that the scrape does not have, per rule; empty when every name exists. */
export function missingMetricNames(rules: readonly RuleMetrics[], present: ReadonlySet<string>): RuleMetrics[] {
  return rules
    .map((r) => ({ rule: r.rule, names: r.names.filter((name) => !present.has(name)) }))
    .filter((r) => r.names.length > 0);
}
