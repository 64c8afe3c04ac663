import { type IntrinsicFunction, intrinsicFailure, stringArgument } from "./signature.js";

/**
 * States.Format: the template's `{}` are replaced, in order, by the other arguments. In a template
 * written as a string literal, `\{` and `\}` are braces that do not form a placeholder.
 */

/** Values print the way Java's toString prints them: `{Arg1=1, Arg2=[]}`, `[1, a]`, strings bare. */
function printed(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(printed).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}=${printed(item)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The template split at its placeholders; `raw` (a literal as written) still carries escapes. */
function pieces(template: string, raw: string | undefined): string[] {
  const text = raw ?? template;
  const result: string[] = [];
  let piece = "";
  for (let i = 0; i < text.length; i++) {
    if (raw !== undefined && text[i] === "\\" && i + 1 < text.length) {
      piece += text[++i];
    } else if (text.startsWith("{}", i)) {
      result.push(piece);
      piece = "";
      i++;
    } else {
      piece += text[i];
    }
  }
  result.push(piece);
  return result;
}

export const formatFunctions: Record<string, IntrinsicFunction> = {
  "States.Format": {
    arity: [1, Number.POSITIVE_INFINITY],
    apply(args, literals) {
      const template = stringArgument("States.Format", args, 0);
      const parts = pieces(template, literals[0]);
      const values = args.slice(1);
      if (values.length !== parts.length - 1) {
        throw intrinsicFailure(
          "States.Format",
          `the template has ${parts.length - 1} placeholders but ${values.length} values were given`,
        );
      }
      return parts.reduce((text, part, i) => text + printed(values[i - 1]) + part);
    },
  },
};
