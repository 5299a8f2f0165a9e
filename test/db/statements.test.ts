import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitStatements } from "../../db/statements";

describe("splitStatements, as the Supabase CLI splits a migration", () => {
  it.each([
    [
      "splits at top-level semicolons and trims each statement",
      "create table a (x int);\n  create table b (y int);\n",
      ["create table a (x int)", "create table b (y int)"],
    ],
    [
      "keeps semicolons inside single quotes, doubled quotes included",
      "insert into t values ('a;b', 'it''s;');",
      ["insert into t values ('a;b', 'it''s;')"],
    ],
    [
      "keeps semicolons inside quoted identifiers",
      'create table "odd;name" (x int);',
      ['create table "odd;name" (x int)'],
    ],
    [
      "keeps dollar-quoted bodies whole, tagged or not",
      "create function f() returns int as $$ select 1; $$ language sql;\ndo $body$ begin perform 1; end $body$;",
      ["create function f() returns int as $$ select 1; $$ language sql", "do $body$ begin perform 1; end $body$"],
    ],
    [
      "keeps a statement's leading comments with it",
      "-- why: the tours table\ncreate table t (x int);",
      ["-- why: the tours table\ncreate table t (x int)"],
    ],
    [
      "ignores semicolons in line and nested block comments",
      "select 1 -- not; here\n;/* a /* b; */ c; */ select 2;",
      ["select 1 -- not; here", "/* a /* b; */ c; */ select 2"],
    ],
    ["drops empty statements and comment-only tails", ";;select 1;; -- the end\n", ["select 1"]],
    [
      "does not take $1 parameters for dollar quotes",
      "prepare p as select $1; select 2;",
      ["prepare p as select $1", "select 2"],
    ],
  ])("%s", (_rule, sql, expected) => {
    expect(splitStatements(sql)).toEqual(expected);
  });

  it("never loses or invents a plain statement, whatever the whitespace between them", () => {
    const statement = fc.stringMatching(/^[a-z][a-z0-9 ,()=]{0,30}[a-z0-9)]$/);
    const gap = fc.stringMatching(/^[ \n\t]{0,3}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(statement, gap), { maxLength: 8 }), (parts) => {
        const sql = parts.map(([s, g]) => `${g}${s};${g}`).join("");
        expect(splitStatements(sql)).toEqual(parts.map(([s]) => s.trim()));
      }),
    );
  });
});
